#include "control_plane/usage/usage_reporting_service.h"

#include <utility>

#include "spdlog/spdlog.h"

namespace gw::cp {
namespace {

using gateway::usage::v1::UsageAck;
using gateway::usage::v1::UsageBatch;

// Answers a stream that may not be served (bad token) with one status.
class RejectedUsageStream final : public grpc::ServerBidiReactor<UsageBatch, UsageAck> {
 public:
  explicit RejectedUsageStream(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

UsageReportingService::UsageReportingService(const TokenAuth& auth, UsageIngestor& ingestor)
    : auth_(auth), ingestor_(ingestor) {}

void UsageReportingService::CloseStreams() {
  streams_.CloseAll(grpc::Status(grpc::StatusCode::UNAVAILABLE, "control plane is shutting down"));
}

grpc::ServerBidiReactor<UsageBatch, UsageAck>* UsageReportingService::ReportUsage(
    grpc::CallbackServerContext* context) {
  if (grpc::Status status = auth_.Check(*context, Role::kWorker); !status.ok()) {
    spdlog::warn("usage stream refused from {}: {}", context->peer(), status.error_message());
    return new RejectedUsageStream(std::move(status));
  }
  return new UsageStreamReactor(streams_, ingestor_, context->peer());
}

}  // namespace gw::cp
