#include "control_plane/admin/admin_service.h"

#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/config_resources.h"
#include "common/config_validator.h"
#include "common/grpc_status.h"
#include "common/money.h"
#include "common/status_macros.h"
#include "control_plane/admin/config_diff.h"
#include "control_plane/admin/config_edits.h"
#include "control_plane/admin/config_merge.h"
#include "control_plane/usage/usage_queries.h"

namespace gw::cp {
namespace admin = gateway::admin::v1;
namespace cfg = gateway::config::v1;
namespace {

// Copies the resource named `name` out of the current configuration, or NOT_FOUND.
template <typename Resource>
absl::Status CopyResource(const ResourceList<Resource>& list, absl::string_view kind,
                          absl::string_view name, Resource& out) {
  const Resource* found = FindResource(list, name);
  if (found == nullptr) return ResourceNotFound(kind, name);
  out = *found;
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ParsePrice(absl::string_view label, absl::string_view text) {
  absl::StatusOr<int64_t> micro = ParseUsdToMicro(text);
  if (!micro.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(label, " ", micro.status().message()));
  }
  return *micro;
}

absl::StatusOr<cfg::ModelPrice> ParseSetPrice(const admin::SetPriceRequest& request) {
  cfg::ModelPrice price;
  price.set_model(request.model());
  GW_ASSIGN_OR_RETURN(const int64_t input, ParsePrice("input price", request.input_usd_per_mtok()));
  price.set_input_micro_usd_per_mtok(input);
  if (request.cached_input_usd_per_mtok().empty()) {
    price.set_cached_input_micro_usd_per_mtok(input);
  } else {
    GW_ASSIGN_OR_RETURN(const int64_t cached,
                        ParsePrice("cached input price", request.cached_input_usd_per_mtok()));
    price.set_cached_input_micro_usd_per_mtok(cached);
  }
  GW_ASSIGN_OR_RETURN(const int64_t output,
                      ParsePrice("output price", request.output_usd_per_mtok()));
  price.set_output_micro_usd_per_mtok(output);
  return price;
}

absl::StatusOr<absl::Duration> GracePeriod(const google::protobuf::Duration& grace) {
  const absl::Duration duration = absl::Seconds(grace.seconds()) + absl::Nanoseconds(grace.nanos());
  if (duration < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the grace period must not be negative");
  }
  return duration;
}

}  // namespace

AdminService::AdminService(ConfigStore& store, const TokenAuth& auth,
                           WorkerStatusSource worker_statuses)
    : store_(store), auth_(auth), worker_statuses_(std::move(worker_statuses)) {}

template <typename Handler>
grpc::Status AdminService::Serve(const grpc::ServerContext& context, Handler&& handler) const {
  if (grpc::Status denied = auth_.Check(context, Role::kAdmin); !denied.ok()) return denied;
  return ToGrpcStatus(std::forward<Handler>(handler)());
}

absl::Status AdminService::Mutate(absl::FunctionRef<absl::Status(cfg::GatewayConfig&)> edit) {
  return store_.MutateConfig(edit).status();
}

// ---- Teams ----

grpc::Status AdminService::CreateTeam(grpc::ServerContext* context,
                                      const admin::CreateTeamRequest* request,
                                      cfg::Team* response) {
  return Serve(*context, [&]() -> absl::Status {
    return Mutate([&](cfg::GatewayConfig& config) -> absl::Status {
      GW_ASSIGN_OR_RETURN(*response, AddTeam(request->team(), config));
      return absl::OkStatus();
    });
  });
}

grpc::Status AdminService::GetTeam(grpc::ServerContext* context,
                                   const admin::GetTeamRequest* request, cfg::Team* response) {
  return Serve(*context, [&] {
    return CopyResource(store_.Current()->config().teams(), "team", request->name(), *response);
  });
}

grpc::Status AdminService::ListTeams(grpc::ServerContext* context,
                                     const admin::ListTeamsRequest* /*request*/,
                                     admin::ListTeamsResponse* response) {
  return Serve(*context, [&] {
    *response->mutable_teams() = store_.Current()->config().teams();
    SortResources(*response->mutable_teams());
    return absl::OkStatus();
  });
}

grpc::Status AdminService::UpdateTeam(grpc::ServerContext* context,
                                      const admin::UpdateTeamRequest* request,
                                      cfg::Team* response) {
  return Serve(*context, [&]() -> absl::Status {
    return Mutate([&](cfg::GatewayConfig& config) -> absl::Status {
      GW_ASSIGN_OR_RETURN(*response,
                          gw::cp::UpdateTeam(request->team(), request->update_mask(), config));
      return absl::OkStatus();
    });
  });
}

grpc::Status AdminService::DeleteTeam(grpc::ServerContext* context,
                                      const admin::DeleteTeamRequest* request,
                                      google::protobuf::Empty* /*response*/) {
  return Serve(*context, [&] {
    return Mutate(
        [&](cfg::GatewayConfig& config) { return gw::cp::DeleteTeam(request->name(), config); });
  });
}

// ---- Keys ----

grpc::Status AdminService::CreateKey(grpc::ServerContext* context,
                                     const admin::CreateKeyRequest* request,
                                     admin::CreateKeyResponse* response) {
  return Serve(*context, [&]() -> absl::Status {
    GW_ASSIGN_OR_RETURN(*response, store_.CreateKey(*request));
    return absl::OkStatus();
  });
}

grpc::Status AdminService::ListKeys(grpc::ServerContext* context,
                                    const admin::ListKeysRequest* request,
                                    admin::ListKeysResponse* response) {
  return Serve(*context, [&]() -> absl::Status {
    if (FindResource(store_.Current()->config().teams(), request->team()) == nullptr) {
      return ResourceNotFound("team", request->team());
    }
    GW_ASSIGN_OR_RETURN(std::vector<admin::ApiKey> keys, store_.ListKeys(request->team()));
    for (admin::ApiKey& key : keys) *response->add_keys() = std::move(key);
    return absl::OkStatus();
  });
}

grpc::Status AdminService::RevokeKey(grpc::ServerContext* context,
                                     const admin::RevokeKeyRequest* request,
                                     admin::ApiKey* response) {
  return Serve(*context, [&]() -> absl::Status {
    GW_ASSIGN_OR_RETURN(*response, store_.RevokeKey(request->id()));
    return absl::OkStatus();
  });
}

grpc::Status AdminService::RotateKey(grpc::ServerContext* context,
                                     const admin::RotateKeyRequest* request,
                                     admin::CreateKeyResponse* response) {
  return Serve(*context, [&]() -> absl::Status {
    GW_ASSIGN_OR_RETURN(const absl::Duration grace, GracePeriod(request->grace_period()));
    GW_ASSIGN_OR_RETURN(*response, store_.RotateKey(request->id(), grace));
    return absl::OkStatus();
  });
}

// ---- Providers ----

grpc::Status AdminService::CreateProvider(grpc::ServerContext* context,
                                          const admin::CreateProviderRequest* request,
                                          cfg::Provider* response) {
  return Serve(*context, [&]() -> absl::Status {
    GW_RETURN_IF_ERROR(Mutate(
        [&](cfg::GatewayConfig& config) { return AddProvider(request->provider(), config); }));
    *response = request->provider();
    return absl::OkStatus();
  });
}

grpc::Status AdminService::GetProvider(grpc::ServerContext* context,
                                       const admin::GetProviderRequest* request,
                                       cfg::Provider* response) {
  return Serve(*context, [&] {
    return CopyResource(store_.Current()->config().providers(), "provider", request->name(),
                        *response);
  });
}

grpc::Status AdminService::ListProviders(grpc::ServerContext* context,
                                         const admin::ListProvidersRequest* /*request*/,
                                         admin::ListProvidersResponse* response) {
  return Serve(*context, [&] {
    *response->mutable_providers() = store_.Current()->config().providers();
    SortResources(*response->mutable_providers());
    return absl::OkStatus();
  });
}

grpc::Status AdminService::DeleteProvider(grpc::ServerContext* context,
                                          const admin::DeleteProviderRequest* request,
                                          google::protobuf::Empty* /*response*/) {
  return Serve(*context, [&] {
    return Mutate([&](cfg::GatewayConfig& config) {
      return gw::cp::DeleteProvider(request->name(), config);
    });
  });
}

// ---- Models ----

grpc::Status AdminService::CreateModel(grpc::ServerContext* context,
                                       const admin::CreateModelRequest* request,
                                       cfg::Model* response) {
  return Serve(*context, [&]() -> absl::Status {
    GW_RETURN_IF_ERROR(
        Mutate([&](cfg::GatewayConfig& config) { return AddModel(request->model(), config); }));
    *response = request->model();
    return absl::OkStatus();
  });
}

grpc::Status AdminService::GetModel(grpc::ServerContext* context,
                                    const admin::GetModelRequest* request, cfg::Model* response) {
  return Serve(*context, [&] {
    return CopyResource(store_.Current()->config().models(), "model", request->name(), *response);
  });
}

grpc::Status AdminService::ListModels(grpc::ServerContext* context,
                                      const admin::ListModelsRequest* /*request*/,
                                      admin::ListModelsResponse* response) {
  return Serve(*context, [&] {
    *response->mutable_models() = store_.Current()->config().models();
    SortResources(*response->mutable_models());
    return absl::OkStatus();
  });
}

grpc::Status AdminService::DeleteModel(grpc::ServerContext* context,
                                       const admin::DeleteModelRequest* request,
                                       google::protobuf::Empty* /*response*/) {
  return Serve(*context, [&] {
    return Mutate(
        [&](cfg::GatewayConfig& config) { return gw::cp::DeleteModel(request->name(), config); });
  });
}

// ---- Routes ----

grpc::Status AdminService::SetRoute(grpc::ServerContext* context,
                                    const admin::SetRouteRequest* request, cfg::Route* response) {
  return Serve(*context, [&]() -> absl::Status {
    GW_RETURN_IF_ERROR(Mutate([&](cfg::GatewayConfig& config) {
      gw::cp::SetRoute(request->route(), config);
      return absl::OkStatus();
    }));
    *response = request->route();
    return absl::OkStatus();
  });
}

grpc::Status AdminService::GetRoute(grpc::ServerContext* context,
                                    const admin::GetRouteRequest* request, cfg::Route* response) {
  return Serve(*context, [&] {
    return CopyResource(store_.Current()->config().routes(), "route", request->task(), *response);
  });
}

grpc::Status AdminService::ListRoutes(grpc::ServerContext* context,
                                      const admin::ListRoutesRequest* /*request*/,
                                      admin::ListRoutesResponse* response) {
  return Serve(*context, [&] {
    *response->mutable_routes() = store_.Current()->config().routes();
    SortResources(*response->mutable_routes());
    return absl::OkStatus();
  });
}

grpc::Status AdminService::DeleteRoute(grpc::ServerContext* context,
                                       const admin::DeleteRouteRequest* request,
                                       google::protobuf::Empty* /*response*/) {
  return Serve(*context, [&] {
    return Mutate(
        [&](cfg::GatewayConfig& config) { return gw::cp::DeleteRoute(request->task(), config); });
  });
}

// ---- Pricing ----

grpc::Status AdminService::SetPrice(grpc::ServerContext* context,
                                    const admin::SetPriceRequest* request,
                                    cfg::ModelPrice* response) {
  return Serve(*context, [&]() -> absl::Status {
    GW_ASSIGN_OR_RETURN(cfg::ModelPrice price, ParseSetPrice(*request));
    GW_RETURN_IF_ERROR(
        Mutate([&](cfg::GatewayConfig& config) { return gw::cp::SetPrice(price, config); }));
    *response = std::move(price);
    return absl::OkStatus();
  });
}

grpc::Status AdminService::ListPrices(grpc::ServerContext* context,
                                      const admin::ListPricesRequest* /*request*/,
                                      admin::ListPricesResponse* response) {
  return Serve(*context, [&] {
    *response->mutable_prices() = store_.Current()->config().prices();
    SortResources(*response->mutable_prices());
    return absl::OkStatus();
  });
}

grpc::Status AdminService::ImportPrices(grpc::ServerContext* context,
                                        const admin::ImportPricesRequest* request,
                                        admin::ImportPricesResponse* response) {
  return Serve(*context, [&] {
    return Mutate([&](cfg::GatewayConfig& config) -> absl::Status {
      GW_ASSIGN_OR_RETURN(std::vector<cfg::ModelPrice> updated,
                          gw::cp::ImportPrices(request->prices(), config));
      response->clear_updated();
      for (cfg::ModelPrice& price : updated) *response->add_updated() = std::move(price);
      return absl::OkStatus();
    });
  });
}

// ---- Declarative configuration ----

grpc::Status AdminService::Apply(grpc::ServerContext* context, const admin::ApplyRequest* request,
                                 admin::ApplyResponse* response) {
  return Serve(*context, [&]() -> absl::Status {
    std::vector<std::string> changes;
    // The diff is taken inside the edit, against the configuration it actually modifies.
    const auto merge = [&](cfg::GatewayConfig& config) -> absl::Status {
      const cfg::GatewayConfig before = config;
      GW_RETURN_IF_ERROR(MergeConfig(request->config(), request->prune(), config));
      CanonicalizeConfig(config);  // So that a default spelled as "unspecified" is no change.
      changes = DiffConfigs(before, config);
      return absl::OkStatus();
    };
    int64_t version = 0;
    if (request->dry_run()) {
      const std::shared_ptr<const ConfigStore::Snapshot> current = store_.Current();
      cfg::GatewayConfig config = current->config();
      GW_RETURN_IF_ERROR(merge(config));
      GW_RETURN_IF_ERROR(ValidateConfig(config));
      version = current->version();
    } else {
      const int64_t version_before = store_.Current()->version();
      GW_ASSIGN_OR_RETURN(version, store_.MutateConfig(merge));
      if (version == version_before) changes.clear();
    }
    response->set_config_version(version);
    for (std::string& change : changes) response->add_changes(std::move(change));
    return absl::OkStatus();
  });
}

grpc::Status AdminService::Export(grpc::ServerContext* context,
                                  const admin::ExportRequest* /*request*/,
                                  cfg::GatewayConfig* response) {
  return Serve(*context, [&] {
    *response = store_.Current()->config();
    CanonicalizeConfig(*response);
    return absl::OkStatus();
  });
}

// ---- Status, usage and spend ----

grpc::Status AdminService::GetStatus(grpc::ServerContext* context,
                                     const admin::GetStatusRequest* /*request*/,
                                     admin::GetStatusResponse* response) {
  return Serve(*context, [&] {
    response->set_config_version(store_.Current()->version());
    if (worker_statuses_) {
      for (admin::WorkerStatus& worker : worker_statuses_()) {
        *response->add_workers() = std::move(worker);
      }
    }
    return absl::OkStatus();
  });
}

grpc::Status AdminService::ListUsage(grpc::ServerContext* context,
                                     const admin::ListUsageRequest* request,
                                     admin::ListUsageResponse* response) {
  return Serve(*context,
               [&] { return UsageQueries(store_.database()).ListUsage(*request, *response); });
}

grpc::Status AdminService::GetSpend(grpc::ServerContext* context,
                                    const admin::GetSpendRequest* request,
                                    admin::GetSpendResponse* response) {
  return Serve(*context,
               [&] { return UsageQueries(store_.database()).GetSpend(*request, *response); });
}

}  // namespace gw::cp
