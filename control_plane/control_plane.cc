#include "control_plane/control_plane.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "control_plane/discovery/server_options.h"
#include "grpc/grpc.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace gw::cp {
namespace {

// "127.0.0.1:0" bound to 54321 -> "127.0.0.1:54321"; also "[::1]:0".
absl::StatusOr<std::string> WithPort(const std::string& listen_address, int port) {
  const size_t colon = listen_address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(absl::StrCat("listen address '", listen_address,
                                                   "' is not host:port, e.g. 127.0.0.1:7070"));
  }
  return absl::StrCat(listen_address.substr(0, colon + 1), port);
}

}  // namespace

ControlPlane::ControlPlane(std::unique_ptr<ConfigStore> store, const ControlPlaneOptions& options)
    : store_(std::move(store)), auth_(options.admin_token, options.worker_token) {}

absl::StatusOr<std::unique_ptr<ControlPlane>> ControlPlane::Start(
    const ControlPlaneOptions& options) {
  if (absl::Status address = WithPort(options.listen_address, 0).status(); !address.ok()) {
    return address;
  }
  absl::StatusOr<std::unique_ptr<ConfigStore>> store = ConfigStore::Open(options.db_path);
  if (!store.ok()) return store.status();
  std::unique_ptr<ControlPlane> cp(new ControlPlane(*std::move(store), options));

  // Services: each is one member, one construction here and one RegisterService below.
  ControlPlane& self = *cp;
  self.discovery_ = std::make_unique<DiscoveryService>(self.auth_);
  absl::StatusOr<std::unique_ptr<UsageAccounting>> usage = UsageAccounting::Start(
      self.store_->database(), self.auth_, [&self] { return self.store_->Current(); },
      [&self](const gateway::config::v1::BudgetState& state) {
        self.discovery_->PublishBudgetState(state);
      });
  if (!usage.ok()) return usage.status();
  self.usage_ = *std::move(usage);
  self.store_->AddVersionListener([&self](int64_t /*version*/) {
    self.discovery_->Publish(self.store_->Current());
    self.usage_->OnConfigChanged();  // Budgets travel in the budget state.
  });
  // Revoked keys travel ahead of the snapshot that drops them, so that every worker refuses them
  // before it has re-parsed a large snapshot.
  self.store_->AddRevocationListener([&self](const ConfigStore::RevokedKeys& keys) {
    self.discovery_->PublishRevocations(keys);
  });
  self.discovery_->Publish(self.store_->Current());
  self.admin_ = std::make_unique<AdminService>(*self.store_, self.auth_,
                                               [&self] { return self.discovery_->Workers(); });

  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(options.listen_address, grpc::InsecureServerCredentials(), &bound_port);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  // Workers' keepalive pings on idle config streams are allowed, and dead workers noticed.
  ApplyDiscoveryServerOptions(builder);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  // gRPC sets SO_REUSEPORT by default: a second control plane would then share the port (and
  // split the calls) instead of failing to start.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(self.admin_.get());
  builder.RegisterService(self.discovery_.get());
  builder.RegisterService(self.usage_->service());
  self.server_ = builder.BuildAndStart();
  if (self.server_ == nullptr || bound_port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen_address,
                                               " (address in use or not available)"));
  }
  absl::StatusOr<std::string> address = WithPort(options.listen_address, bound_port);
  if (!address.ok()) return address.status();
  self.address_ = *std::move(address);
  return cp;
}

ControlPlane::~ControlPlane() { Shutdown(absl::ZeroDuration()); }

void ControlPlane::Shutdown(absl::Duration grace) {
  if (shut_down_ || server_ == nullptr) return;
  shut_down_ = true;
  // Long-lived streams end first, so that shutdown does not wait for the deadline on them;
  // workers reconnect to the next control plane.
  discovery_->CloseStreams();
  // Usage streams end right after the ack of the batch they have in flight, if any.
  usage_->CloseStreams();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  server_->Wait();
}

}  // namespace gw::cp
