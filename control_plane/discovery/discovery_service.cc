#include "control_plane/discovery/discovery_service.h"

#include <string>
#include <utility>

#include "control_plane/discovery/config_stream_reactor.h"
#include "spdlog/spdlog.h"

namespace gw::cp {
namespace {

// Answers a stream that may not be served (bad token, shutdown) with one status.
class RejectedStream final : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  explicit RejectedStream(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

DiscoveryService::DiscoveryService(const TokenAuth& auth, absl::Duration debounce)
    : auth_(auth), publisher_(debounce, [this](std::shared_ptr<const PublishedSnapshot> published) {
        hub_.PublishSnapshot(std::move(published));
      }) {}

DiscoveryService::~DiscoveryService() = default;

void DiscoveryService::Publish(std::shared_ptr<const gateway::config::v1::Snapshot> snapshot) {
  publisher_.Publish(std::move(snapshot));
}

void DiscoveryService::PublishBudgetState(const gateway::config::v1::BudgetState& state) {
  auto published = std::make_shared<PublishedBudgetState>();
  published->sequence = state.sequence();
  published->bytes = std::make_shared<const std::string>(state.SerializeAsString());
  hub_.PublishBudgetState(std::move(published));
}

void DiscoveryService::PublishRevocations(
    const std::vector<gateway::config::v1::RevokedKey>& keys) {
  if (keys.empty()) return;
  // Held across the hub's publish so that lists reach the hub in sequence order.
  absl::MutexLock lock(&revocations_mu_);
  revocations_.Add(keys);
  auto published = std::make_shared<PublishedRevocations>();
  published->sequence = revocations_.sequence();
  published->bytes =
      std::make_shared<const std::string>(revocations_.Current().SerializeAsString());
  hub_.PublishRevocations(std::move(published));
}

std::vector<gateway::admin::v1::WorkerStatus> DiscoveryService::Workers() const {
  return registry_.Workers();
}

int64_t DiscoveryService::published_version() const {
  const std::shared_ptr<const PublishedSnapshot> latest = publisher_.Latest();
  return latest != nullptr ? latest->version : 0;
}

int64_t DiscoveryService::snapshot_serializations() const { return publisher_.serializations(); }

size_t DiscoveryService::open_streams() const { return hub_.open_streams(); }

void DiscoveryService::CloseStreams() {
  hub_.CloseAll(grpc::Status(grpc::StatusCode::UNAVAILABLE, "control plane is shutting down"));
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* DiscoveryService::StreamConfig(
    grpc::CallbackServerContext* context) {
  if (grpc::Status status = auth_.Check(*context, Role::kWorker); !status.ok()) {
    spdlog::warn("config stream refused from {}: {}", context->peer(), status.error_message());
    return new RejectedStream(std::move(status));
  }
  return new ConfigStreamReactor(hub_, registry_, context->peer());
}

}  // namespace gw::cp
