// The UsageReporting gRPC service (gateway.usage.v1): workers stream usage batches, each
// acknowledged in order once durably stored. Only the worker token opens a stream.
//   UsageReportingService service(auth, ingestor);  builder.RegisterService(&service);
//   ... service.CloseStreams(); server->Shutdown(deadline);
#pragma once

#include <cstddef>

#include "control_plane/auth/token_auth.h"
#include "control_plane/usage/usage_ingestor.h"
#include "control_plane/usage/usage_stream_reactor.h"
#include "gateway/usage/v1/usage.grpc.pb.h"

namespace gw::cp {

// Thread-safe. `auth` and `ingestor` must outlive it, and it must outlive the server it is
// registered with.
//
// Ack semantics: one UsageAck per batch, in the order read, sent after the transaction holding
// the batch committed (WAL, synchronous=FULL); `accepted` counts records newly stored,
// `duplicates` records whose record_id was already stored (a replay). A batch with an invalid
// record is refused whole: the stream ends with INVALID_ARGUMENT naming the record, nothing of
// that batch is stored, and the worker must set the bad record aside before resending. A full
// ingestion queue ends the stream with RESOURCE_EXHAUSTED and shutdown with UNAVAILABLE; in
// both cases the unacknowledged batch is to be sent again.
class UsageReportingService final : public gateway::usage::v1::UsageReporting::CallbackService {
 public:
  UsageReportingService(const TokenAuth& auth, UsageIngestor& ingestor);

  // Ends every stream with UNAVAILABLE (each right after the ack of its pending batch) and
  // refuses new ones; call before Server::Shutdown so that shutdown does not wait on
  // long-lived streams.
  void CloseStreams();
  size_t open_streams() const { return streams_.size(); }

 private:
  grpc::ServerBidiReactor<gateway::usage::v1::UsageBatch, gateway::usage::v1::UsageAck>*
  ReportUsage(grpc::CallbackServerContext* context) override;

  const TokenAuth& auth_;
  UsageIngestor& ingestor_;
  UsageStreamSet streams_;
};

}  // namespace gw::cp
