// The Admin gRPC API (gateway.admin.v1.Admin): teams, keys, providers, models, routes, prices,
// declarative apply/export and status, over the ConfigStore. Every call needs the admin token.
//   AdminService admin(store, auth, [] { return std::vector<WorkerStatus>{}; });
//   builder.RegisterService(&admin);
#pragma once

#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "control_plane/auth/token_auth.h"
#include "control_plane/store/config_store.h"
#include "gateway/admin/v1/admin.grpc.pb.h"

namespace gw::cp {

class AdminService final : public gateway::admin::v1::Admin::Service {
 public:
  // The connected workers as config discovery sees them, for GetStatus.
  using WorkerStatusSource = std::function<std::vector<gateway::admin::v1::WorkerStatus>()>;

  // `store` and `auth` must outlive the service.
  AdminService(ConfigStore& store, const TokenAuth& auth, WorkerStatusSource worker_statuses);

  grpc::Status CreateTeam(grpc::ServerContext* context,
                          const gateway::admin::v1::CreateTeamRequest* request,
                          gateway::config::v1::Team* response) override;
  grpc::Status GetTeam(grpc::ServerContext* context,
                       const gateway::admin::v1::GetTeamRequest* request,
                       gateway::config::v1::Team* response) override;
  grpc::Status ListTeams(grpc::ServerContext* context,
                         const gateway::admin::v1::ListTeamsRequest* request,
                         gateway::admin::v1::ListTeamsResponse* response) override;
  grpc::Status UpdateTeam(grpc::ServerContext* context,
                          const gateway::admin::v1::UpdateTeamRequest* request,
                          gateway::config::v1::Team* response) override;
  grpc::Status DeleteTeam(grpc::ServerContext* context,
                          const gateway::admin::v1::DeleteTeamRequest* request,
                          google::protobuf::Empty* response) override;

  grpc::Status CreateKey(grpc::ServerContext* context,
                         const gateway::admin::v1::CreateKeyRequest* request,
                         gateway::admin::v1::CreateKeyResponse* response) override;
  grpc::Status ListKeys(grpc::ServerContext* context,
                        const gateway::admin::v1::ListKeysRequest* request,
                        gateway::admin::v1::ListKeysResponse* response) override;
  grpc::Status RevokeKey(grpc::ServerContext* context,
                         const gateway::admin::v1::RevokeKeyRequest* request,
                         gateway::admin::v1::ApiKey* response) override;
  grpc::Status RotateKey(grpc::ServerContext* context,
                         const gateway::admin::v1::RotateKeyRequest* request,
                         gateway::admin::v1::CreateKeyResponse* response) override;

  grpc::Status CreateProvider(grpc::ServerContext* context,
                              const gateway::admin::v1::CreateProviderRequest* request,
                              gateway::config::v1::Provider* response) override;
  grpc::Status GetProvider(grpc::ServerContext* context,
                           const gateway::admin::v1::GetProviderRequest* request,
                           gateway::config::v1::Provider* response) override;
  grpc::Status ListProviders(grpc::ServerContext* context,
                             const gateway::admin::v1::ListProvidersRequest* request,
                             gateway::admin::v1::ListProvidersResponse* response) override;
  grpc::Status DeleteProvider(grpc::ServerContext* context,
                              const gateway::admin::v1::DeleteProviderRequest* request,
                              google::protobuf::Empty* response) override;

  grpc::Status CreateModel(grpc::ServerContext* context,
                           const gateway::admin::v1::CreateModelRequest* request,
                           gateway::config::v1::Model* response) override;
  grpc::Status GetModel(grpc::ServerContext* context,
                        const gateway::admin::v1::GetModelRequest* request,
                        gateway::config::v1::Model* response) override;
  grpc::Status ListModels(grpc::ServerContext* context,
                          const gateway::admin::v1::ListModelsRequest* request,
                          gateway::admin::v1::ListModelsResponse* response) override;
  grpc::Status DeleteModel(grpc::ServerContext* context,
                           const gateway::admin::v1::DeleteModelRequest* request,
                           google::protobuf::Empty* response) override;

  grpc::Status SetRoute(grpc::ServerContext* context,
                        const gateway::admin::v1::SetRouteRequest* request,
                        gateway::config::v1::Route* response) override;
  grpc::Status GetRoute(grpc::ServerContext* context,
                        const gateway::admin::v1::GetRouteRequest* request,
                        gateway::config::v1::Route* response) override;
  grpc::Status ListRoutes(grpc::ServerContext* context,
                          const gateway::admin::v1::ListRoutesRequest* request,
                          gateway::admin::v1::ListRoutesResponse* response) override;
  grpc::Status DeleteRoute(grpc::ServerContext* context,
                           const gateway::admin::v1::DeleteRouteRequest* request,
                           google::protobuf::Empty* response) override;

  grpc::Status SetPrice(grpc::ServerContext* context,
                        const gateway::admin::v1::SetPriceRequest* request,
                        gateway::config::v1::ModelPrice* response) override;
  grpc::Status ListPrices(grpc::ServerContext* context,
                          const gateway::admin::v1::ListPricesRequest* request,
                          gateway::admin::v1::ListPricesResponse* response) override;
  grpc::Status ImportPrices(grpc::ServerContext* context,
                            const gateway::admin::v1::ImportPricesRequest* request,
                            gateway::admin::v1::ImportPricesResponse* response) override;

  grpc::Status Apply(grpc::ServerContext* context, const gateway::admin::v1::ApplyRequest* request,
                     gateway::admin::v1::ApplyResponse* response) override;
  grpc::Status Export(grpc::ServerContext* context,
                      const gateway::admin::v1::ExportRequest* request,
                      gateway::config::v1::GatewayConfig* response) override;

  grpc::Status GetStatus(grpc::ServerContext* context,
                         const gateway::admin::v1::GetStatusRequest* request,
                         gateway::admin::v1::GetStatusResponse* response) override;
  grpc::Status ListUsage(grpc::ServerContext* context,
                         const gateway::admin::v1::ListUsageRequest* request,
                         gateway::admin::v1::ListUsageResponse* response) override;
  grpc::Status GetSpend(grpc::ServerContext* context,
                        const gateway::admin::v1::GetSpendRequest* request,
                        gateway::admin::v1::GetSpendResponse* response) override;

 private:
  // Checks the admin token, then runs `handler` (returning absl::Status) and converts its result.
  template <typename Handler>
  grpc::Status Serve(const grpc::ServerContext& context, Handler&& handler) const;

  // Runs one edit through the store: validated, written and versioned in one transaction.
  absl::Status Mutate(absl::FunctionRef<absl::Status(gateway::config::v1::GatewayConfig&)> edit);

  ConfigStore& store_;
  const TokenAuth& auth_;
  WorkerStatusSource worker_statuses_;
};

}  // namespace gw::cp
