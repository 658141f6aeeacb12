// One worker's ReportUsage call: reads batches, hands each to the ingestor and writes its ack,
// in order, once it is durably stored. Up to kMaxBatchesInFlight batches per stream are read
// ahead of their acks, so that a reporter keeping several in flight has them merged into one
// group commit; beyond that gRPC's flow control holds the stream back, not memory here.
//   return new UsageStreamReactor(streams, ingestor, context->peer());  // from ReportUsage
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "control_plane/usage/usage_ingestor.h"
#include "gateway/usage/v1/usage.pb.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/status.h"

namespace gw::cp {

class UsageStreamReactor;

// The open ReportUsage streams, so that shutdown can end them. Thread-safe.
class UsageStreamSet {
 public:
  // False once CloseAll ran: the stream must finish at once.
  bool Attach(UsageStreamReactor* stream);
  void Detach(UsageStreamReactor* stream);
  // Ends every stream (each after the acks of the batches it already read) and refuses new
  // ones.
  void CloseAll(const grpc::Status& status);
  size_t size() const;

 private:
  mutable std::mutex mu_;
  absl::flat_hash_set<UsageStreamReactor*> streams_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

// All state is under mu_. A Read is outstanding whenever the stream is open and fewer than
// kMaxBatchesInFlight batches are unacknowledged; each batch read goes to the ingestor, its ack
// is queued once the ingestor reports it stored (the ingestor completes one stream's batches in
// the order they were submitted) and written in that order, one Write at a time. Once the
// stream is to end (half-close, Close, a refused or failed batch, a failed Write) no further
// batch is read; acks of batches stored before the failure are still written, those after it
// are not (the worker replays them as duplicates), and Finish happens once no ingestor callback
// is outstanding (it must find the reactor alive) and no Write is. A bad batch ends the stream
// with the ingestor's status (INVALID_ARGUMENT, naming the record); nothing of that batch is
// stored. The reactor deletes itself in OnDone.
class UsageStreamReactor final
    : public grpc::ServerBidiReactor<gateway::usage::v1::UsageBatch, gateway::usage::v1::UsageAck> {
 public:
  UsageStreamReactor(UsageStreamSet& streams, UsageIngestor& ingestor, std::string peer);

  // Batches read ahead of their acks on one stream: enough for a reporter's pipeline to reach
  // the group commit, small enough that a stream holds little memory.
  static constexpr size_t kMaxBatchesInFlight = 4;

  // From UsageStreamSet::CloseAll: finish after the acks of the batches already read.
  void Close(const grpc::Status& status);

 private:
  ~UsageStreamReactor() override = default;  // Only OnDone deletes.

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override;

  // The ingestor's callback, on its writer thread.
  void OnStored(absl::StatusOr<gateway::usage::v1::UsageAck> ack);

  // Each starts its operation when the state allows it.
  void MaybeReadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The stream is to end with `status` (the first reason wins) once drained.
  void EndLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  size_t InFlightLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  UsageStreamSet& streams_;
  UsageIngestor& ingestor_;
  const std::string peer_;

  // std:: rather than absl::Mutex: Debian's abseil is not built for ThreadSanitizer.
  std::mutex mu_;
  gateway::usage::v1::UsageBatch batch_ ABSL_GUARDED_BY(mu_);  // The outstanding Read's.
  gateway::usage::v1::UsageAck ack_ ABSL_GUARDED_BY(mu_);      // The outstanding Write's.
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  // Batches with the ingestor, callback not yet run.
  size_t submitted_ ABSL_GUARDED_BY(mu_) = 0;
  // Stored batches' acks not yet written, in batch order.
  std::deque<gateway::usage::v1::UsageAck> stored_acks_ ABSL_GUARDED_BY(mu_);
  // A batch failed or a Write did: acks of batches stored later are dropped.
  bool acks_stopped_ ABSL_GUARDED_BY(mu_) = false;
  // Set once the stream is to end: no more reads; Finish with it once drained.
  std::optional<grpc::Status> end_status_ ABSL_GUARDED_BY(mu_);
  bool finish_called_ ABSL_GUARDED_BY(mu_) = false;
  int64_t batches_ ABSL_GUARDED_BY(mu_) = 0;
  std::string worker_id_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gw::cp
