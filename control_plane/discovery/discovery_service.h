// The ConfigDiscovery gRPC service: authenticates workers, serves one StreamConfig bidi stream
// per worker, pushes every config version and budget state, and tracks workers for status.
//   DiscoveryService discovery(auth);  // register with a ServerBuilder, then:
//   store->AddVersionListener([&](int64_t) { discovery.Publish(store->Current()); });
//   discovery.Publish(store->Current());
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "control_plane/auth/token_auth.h"
#include "control_plane/discovery/revocation_overlay.h"
#include "control_plane/discovery/snapshot_publisher.h"
#include "control_plane/discovery/stream_hub.h"
#include "control_plane/discovery/worker_registry.h"
#include "gateway/admin/v1/admin.pb.h"
#include "gateway/config/v1/config.pb.h"
#include "gateway/discovery/v1/discovery.grpc.pb.h"

namespace gw::cp {

using DiscoveryServiceBase =
    gateway::discovery::v1::ConfigDiscovery::WithRawCallbackMethod_StreamConfig<
        gateway::discovery::v1::ConfigDiscovery::Service>;

// Thread-safe. Must outlive the grpc::Server it is registered with: shut the server down
// (after CloseStreams) before destroying it.
class DiscoveryService final : public DiscoveryServiceBase {
 public:
  // A burst of writes within this window costs one snapshot serialisation; a revocation reaches
  // connected workers within it plus one serialisation and one network trip.
  static constexpr absl::Duration kDefaultDebounce = absl::Milliseconds(30);

  // `auth` must outlive the service. Only the worker token opens a stream.
  explicit DiscoveryService(const TokenAuth& auth, absl::Duration debounce = kDefaultDebounce);
  ~DiscoveryService() override;

  // Hands a new config version to every stream after the debounce. Cheap: safe on the store's
  // writing thread. Versions not newer than the last one are ignored.
  void Publish(std::shared_ptr<const gateway::config::v1::Snapshot> snapshot);

  // Sends `state` to every open stream, outside the config version and never acknowledged: a
  // slow stream gets only the newest state, a new stream gets it right after its first snapshot.
  // States with a lower sequence than the newest are ignored.
  void PublishBudgetState(const gateway::config::v1::BudgetState& state);

  // Records keys just revoked (each with the config version that revoked it), and sends the
  // recent revocations to every open stream right away, ahead of the snapshot of that version
  // (no debounce, no snapshot serialisation): workers refuse the key before they finish applying
  // the snapshot. A new stream gets them first too. Cheap: safe under the store's write lock.
  void PublishRevocations(const std::vector<gateway::config::v1::RevokedKey>& keys);

  // For `gwctl status`: one entry per worker id ever connected, sorted by id.
  std::vector<gateway::admin::v1::WorkerStatus> Workers() const;

  // The newest version serialised and offered to workers; 0 before the first.
  int64_t published_version() const;
  // How many snapshots were serialised (one per version that survived the debounce).
  int64_t snapshot_serializations() const;
  size_t open_streams() const;

  // Finishes every stream with UNAVAILABLE and refuses new ones; call before Server::Shutdown so
  // that shutdown does not wait for its deadline on long-lived streams. Workers reconnect to the
  // next control plane.
  void CloseStreams();

 private:
  using DiscoveryServiceBase::StreamConfig;  // The sync overload stays disabled.
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* StreamConfig(
      grpc::CallbackServerContext* context) override;

  const TokenAuth& auth_;
  WorkerRegistry registry_;
  StreamHub hub_;
  absl::Mutex revocations_mu_;
  RevocationOverlay revocations_ ABSL_GUARDED_BY(revocations_mu_);
  SnapshotPublisher publisher_;  // Last: its thread calls into hub_ until it is destroyed.
};

}  // namespace gw::cp
