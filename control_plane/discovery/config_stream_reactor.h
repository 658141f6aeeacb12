// One worker's StreamConfig call: subscribe, then snapshots pushed as versions change, budget
// states and key revocations as they arrive, each snapshot answered by an ACK or a NACK (xDS state
// of the world).
//   return new ConfigStreamReactor(hub, registry);  // from the service's StreamConfig
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "control_plane/discovery/snapshot_publisher.h"
#include "control_plane/discovery/stream_hub.h"
#include "control_plane/discovery/worker_registry.h"
#include "gateway/discovery/v1/discovery.pb.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/status.h"

namespace gw::cp {

// Raw (ByteBuffer) reactor so that a snapshot's bytes are shared by every stream rather than
// copied into a ConfigResponse per stream; requests are parsed here.
//
// State machine, all under mu_: at most one Read and one Write outstanding. A Write starts when
// the stream is subscribed and idle and either the newest snapshot is one the worker neither
// runs, was sent, nor NACKed on this stream, or a revocation list not yet sent is waiting (it goes
// first, even before the stream's first snapshot: a revocation must not wait behind a snapshot
// the worker takes a second to apply), or a budget state newer than the last one sent is
// waiting (only after the stream's first snapshot, or at once if the worker is current). A slow
// stream therefore skips intermediate versions and states. Finish happens exactly once, after the
// outstanding Write if any; nothing is written after it. The reactor deletes itself in OnDone.
class ConfigStreamReactor final
    : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  ConfigStreamReactor(StreamHub& hub, WorkerRegistry& registry, std::string peer);

  // Called by the hub from any thread.
  void OfferSnapshot(std::shared_ptr<const PublishedSnapshot> snapshot);
  void OfferBudgetState(std::shared_ptr<const PublishedBudgetState> state);
  void OfferRevocations(std::shared_ptr<const PublishedRevocations> revocations);
  void Close(const grpc::Status& status);

 private:
  using ConfigRequest = gateway::discovery::v1::ConfigRequest;

  ~ConfigStreamReactor() override = default;  // Only OnDone deletes.

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override;

  void SubscribeLocked(const ConfigRequest& request) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AnswerLocked(const ConfigRequest& request) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool SnapshotWantedLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string NextNonceLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  StreamHub& hub_;
  WorkerRegistry& registry_;
  const std::string peer_;

  absl::Mutex mu_;
  grpc::ByteBuffer read_buffer_ ABSL_GUARDED_BY(mu_);
  grpc::ByteBuffer write_buffer_ ABSL_GUARDED_BY(mu_);
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_called_ ABSL_GUARDED_BY(mu_) = false;
  // Set when Finish must wait for the outstanding Write.
  std::optional<grpc::Status> finish_wanted_ ABSL_GUARDED_BY(mu_);

  bool subscribed_ ABSL_GUARDED_BY(mu_) = false;
  std::string worker_id_ ABSL_GUARDED_BY(mu_);
  WorkerRegistry::StreamId registry_id_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t worker_version_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t last_sent_version_ ABSL_GUARDED_BY(mu_) = -1;
  absl::flat_hash_set<int64_t> nacked_versions_ ABSL_GUARDED_BY(mu_);
  // Recent snapshot responses as (nonce, version), to tell which version a NACK rejects.
  std::deque<std::pair<std::string, int64_t>> sent_snapshots_ ABSL_GUARDED_BY(mu_);
  uint64_t nonce_counter_ ABSL_GUARDED_BY(mu_) = 0;
  bool budget_allowed_ ABSL_GUARDED_BY(mu_) = false;

  std::shared_ptr<const PublishedSnapshot> snapshot_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const PublishedBudgetState> budget_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const PublishedBudgetState> sent_budget_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const PublishedRevocations> revocations_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const PublishedRevocations> sent_revocations_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gw::cp
