// One worker's ReportUsage call: reads a batch, hands it to the ingestor, writes its ack once
// the batch is durably stored, and only then reads the next batch (one batch per stream in
// flight: a stream that sends faster than the database stores is held back by gRPC's flow
// control rather than by memory here).
//   return new UsageStreamReactor(streams, ingestor, context->peer());  // from ReportUsage
#pragma once

#include <cstddef>
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
  // Ends every stream (each after the ack of its pending batch) and refuses new ones.
  void CloseAll(const grpc::Status& status);
  size_t size() const;

 private:
  mutable std::mutex mu_;
  absl::flat_hash_set<UsageStreamReactor*> streams_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

// States, all under mu_: reading (a Read outstanding) -> pending (batch with the ingestor, no
// Read) -> writing (the ack's Write outstanding) -> reading again. Finish happens once, never
// while a batch is pending (the ingestor's callback must find the reactor alive) nor during a
// Write. A bad batch ends the stream with the ingestor's status (INVALID_ARGUMENT, naming the
// record); nothing of that batch is stored and the acks already sent stand. The reactor deletes
// itself in OnDone.
class UsageStreamReactor final
    : public grpc::ServerBidiReactor<gateway::usage::v1::UsageBatch, gateway::usage::v1::UsageAck> {
 public:
  UsageStreamReactor(UsageStreamSet& streams, UsageIngestor& ingestor, std::string peer);

  // From UsageStreamSet::CloseAll: finish after the pending batch's ack, if any.
  void Close(const grpc::Status& status);

 private:
  ~UsageStreamReactor() override = default;  // Only OnDone deletes.

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override;

  // The ingestor's callback, on its writer thread.
  void OnStored(absl::StatusOr<gateway::usage::v1::UsageAck> ack);
  void FinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  UsageStreamSet& streams_;
  UsageIngestor& ingestor_;
  const std::string peer_;

  // std:: rather than absl::Mutex: Debian's abseil is not built for ThreadSanitizer.
  std::mutex mu_;
  gateway::usage::v1::UsageBatch batch_ ABSL_GUARDED_BY(mu_);
  gateway::usage::v1::UsageAck ack_ ABSL_GUARDED_BY(mu_);
  bool pending_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  // Close() ran: finish with closing_status_ once the last ack is written.
  std::optional<grpc::Status> closing_status_ ABSL_GUARDED_BY(mu_);
  // Finish deferred until the pending batch or the outstanding Write completes.
  std::optional<grpc::Status> finish_wanted_ ABSL_GUARDED_BY(mu_);
  bool finish_called_ ABSL_GUARDED_BY(mu_) = false;
  int64_t batches_ ABSL_GUARDED_BY(mu_) = 0;
  std::string worker_id_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gw::cp
