#include "tests/cli/fake_admin_server.h"

#include "absl/strings/str_cat.h"

namespace gw::testing {

namespace adminpb = gateway::admin::v1;
namespace cfg = gateway::config::v1;

void FakeAdminService::RecordAuthorization(grpc::ServerContext* context) {
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  recorded_.authorization.push_back(
      it == metadata.end() ? "" : std::string(it->second.data(), it->second.size()));
}

grpc::Status FakeAdminService::CreateTeam(grpc::ServerContext* context,
                                          const adminpb::CreateTeamRequest* request,
                                          cfg::Team* response) {
  std::lock_guard lock(mu_);
  RecordAuthorization(context);
  recorded_.create_team = *request;
  *response = request->team();
  return grpc::Status::OK;
}

grpc::Status FakeAdminService::UpdateTeam(grpc::ServerContext* context,
                                          const adminpb::UpdateTeamRequest* request,
                                          cfg::Team* response) {
  std::lock_guard lock(mu_);
  RecordAuthorization(context);
  recorded_.update_team = *request;
  *response = request->team();
  return grpc::Status::OK;
}

grpc::Status FakeAdminService::GetTeam(grpc::ServerContext* context,
                                       const adminpb::GetTeamRequest* request,
                                       cfg::Team* response) {
  std::lock_guard lock(mu_);
  RecordAuthorization(context);
  if (request->name() != "search") {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("team '", request->name(), "' not found"));
  }
  response->set_name("search");
  response->set_tier(cfg::TIER_PREMIUM);
  response->mutable_rpm()->set_value(500);
  return grpc::Status::OK;
}

grpc::Status FakeAdminService::ListTeams(grpc::ServerContext* context,
                                         const adminpb::ListTeamsRequest*,
                                         adminpb::ListTeamsResponse* response) {
  std::lock_guard lock(mu_);
  RecordAuthorization(context);
  cfg::Team* search = response->add_teams();
  search->set_name("search");
  search->set_tier(cfg::TIER_STANDARD);
  cfg::Team* ads = response->add_teams();
  ads->set_name("ads");
  ads->set_tier(cfg::TIER_FREE);
  ads->mutable_monthly_budget_micro_usd()->set_value(100'000'000);
  return grpc::Status::OK;
}

grpc::Status FakeAdminService::CreateKey(grpc::ServerContext* context,
                                         const adminpb::CreateKeyRequest* request,
                                         adminpb::CreateKeyResponse* response) {
  std::lock_guard lock(mu_);
  RecordAuthorization(context);
  recorded_.create_key = *request;
  response->set_plaintext_key("gwk_live_0123456789abcdefghij");
  adminpb::ApiKey* key = response->mutable_key();
  key->set_id("key_0001");
  key->set_team(request->team());
  key->set_name(request->name());
  key->set_prefix("gwk_live_012");
  if (request->has_expires_at()) *key->mutable_expires_at() = request->expires_at();
  return grpc::Status::OK;
}

grpc::Status FakeAdminService::RotateKey(grpc::ServerContext* context,
                                         const adminpb::RotateKeyRequest* request,
                                         adminpb::CreateKeyResponse* response) {
  std::lock_guard lock(mu_);
  RecordAuthorization(context);
  recorded_.rotate_key = *request;
  response->set_plaintext_key("gwk_live_rotated0123456789");
  response->mutable_key()->set_id("key_0002");
  response->mutable_key()->set_prefix("gwk_live_rot");
  return grpc::Status::OK;
}

grpc::Status FakeAdminService::SetPrice(grpc::ServerContext* context,
                                        const adminpb::SetPriceRequest* request,
                                        cfg::ModelPrice* response) {
  std::lock_guard lock(mu_);
  RecordAuthorization(context);
  recorded_.set_price = *request;
  response->set_model(request->model());
  response->set_input_micro_usd_per_mtok(2'500'000);
  response->set_cached_input_micro_usd_per_mtok(2'500'000);
  response->set_output_micro_usd_per_mtok(10'000'000);
  return grpc::Status::OK;
}

grpc::Status FakeAdminService::ImportPrices(grpc::ServerContext* context,
                                            const adminpb::ImportPricesRequest* request,
                                            adminpb::ImportPricesResponse* response) {
  std::lock_guard lock(mu_);
  RecordAuthorization(context);
  recorded_.import_prices = *request;
  for (const adminpb::UpstreamPrice& price : request->prices()) {
    if (price.upstream_model() != "gpt-4o-mini") continue;
    cfg::ModelPrice* updated = response->add_updated();
    updated->set_model("fast");
    updated->set_input_micro_usd_per_mtok(price.input_micro_usd_per_mtok());
    updated->set_cached_input_micro_usd_per_mtok(price.cached_input_micro_usd_per_mtok());
    updated->set_output_micro_usd_per_mtok(price.output_micro_usd_per_mtok());
  }
  return grpc::Status::OK;
}

grpc::Status FakeAdminService::Apply(grpc::ServerContext* context,
                                     const adminpb::ApplyRequest* request,
                                     adminpb::ApplyResponse* response) {
  std::lock_guard lock(mu_);
  RecordAuthorization(context);
  recorded_.apply = *request;
  for (const cfg::Route& route : request->config().routes()) {
    if (route.primary() == "missing") {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "route 'chat': primary model 'missing' does not exist");
    }
  }
  response->set_config_version(request->dry_run() ? 4 : 5);
  for (const cfg::Team& team : request->config().teams()) {
    response->add_changes(absl::StrCat("team/", team.name(), ": created"));
  }
  return grpc::Status::OK;
}

grpc::Status FakeAdminService::Export(grpc::ServerContext* context, const adminpb::ExportRequest*,
                                      cfg::GatewayConfig* response) {
  std::lock_guard lock(mu_);
  RecordAuthorization(context);
  *response = config_;
  return grpc::Status::OK;
}

grpc::Status FakeAdminService::GetStatus(grpc::ServerContext* context,
                                         const adminpb::GetStatusRequest*,
                                         adminpb::GetStatusResponse* response) {
  std::lock_guard lock(mu_);
  RecordAuthorization(context);
  response->set_config_version(9'000'000'000);
  adminpb::WorkerStatus* worker = response->add_workers();
  worker->set_worker_id("worker-1");
  worker->set_address("127.0.0.1:8080");
  worker->set_connected(true);
  worker->set_applied_version(9'000'000'000);
  worker->mutable_connected_since()->set_seconds(1'800'000'000);
  worker->mutable_last_seen()->set_seconds(1'800'000'060);
  return grpc::Status::OK;
}

FakeAdminServer::FakeAdminServer() {
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service_);
  server_ = builder.BuildAndStart();
  address_ = absl::StrCat("127.0.0.1:", port);
}

FakeAdminServer::~FakeAdminServer() {
  if (server_ != nullptr) server_->Shutdown();
}

}  // namespace gw::testing
