// An in-process Admin gRPC server for gwctl tests: records what gwctl sent and answers with
// canned data. RPCs it does not override answer UNIMPLEMENTED, as a real server's stubs do.
//   FakeAdminServer server;  RunGwctl({"--server", server.address(), "team", "list"});
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/admin/v1/admin.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace gw::testing {

class FakeAdminService final : public gateway::admin::v1::Admin::Service {
 public:
  // What the last calls carried; read after gwctl exits.
  struct Recorded {
    std::vector<std::string> authorization;  // one per call
    gateway::admin::v1::CreateTeamRequest create_team;
    gateway::admin::v1::UpdateTeamRequest update_team;
    gateway::admin::v1::CreateKeyRequest create_key;
    gateway::admin::v1::RotateKeyRequest rotate_key;
    gateway::admin::v1::SetPriceRequest set_price;
    gateway::admin::v1::ImportPricesRequest import_prices;
    gateway::admin::v1::ApplyRequest apply;
  };

  Recorded recorded() {
    std::lock_guard lock(mu_);
    return recorded_;
  }
  // Export answers with this configuration.
  void set_config(gateway::config::v1::GatewayConfig config) {
    std::lock_guard lock(mu_);
    config_ = std::move(config);
  }

  grpc::Status CreateTeam(grpc::ServerContext* context,
                          const gateway::admin::v1::CreateTeamRequest* request,
                          gateway::config::v1::Team* response) override;
  grpc::Status UpdateTeam(grpc::ServerContext* context,
                          const gateway::admin::v1::UpdateTeamRequest* request,
                          gateway::config::v1::Team* response) override;
  grpc::Status GetTeam(grpc::ServerContext* context,
                       const gateway::admin::v1::GetTeamRequest* request,
                       gateway::config::v1::Team* response) override;
  grpc::Status ListTeams(grpc::ServerContext* context,
                         const gateway::admin::v1::ListTeamsRequest* request,
                         gateway::admin::v1::ListTeamsResponse* response) override;
  grpc::Status CreateKey(grpc::ServerContext* context,
                         const gateway::admin::v1::CreateKeyRequest* request,
                         gateway::admin::v1::CreateKeyResponse* response) override;
  grpc::Status RotateKey(grpc::ServerContext* context,
                         const gateway::admin::v1::RotateKeyRequest* request,
                         gateway::admin::v1::CreateKeyResponse* response) override;
  grpc::Status SetPrice(grpc::ServerContext* context,
                        const gateway::admin::v1::SetPriceRequest* request,
                        gateway::config::v1::ModelPrice* response) override;
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

 private:
  void RecordAuthorization(grpc::ServerContext* context);

  std::mutex mu_;
  Recorded recorded_;
  gateway::config::v1::GatewayConfig config_;
};

class FakeAdminServer {
 public:
  FakeAdminServer();
  ~FakeAdminServer();
  FakeAdminServer(const FakeAdminServer&) = delete;
  FakeAdminServer& operator=(const FakeAdminServer&) = delete;

  std::string address() const { return address_; }
  FakeAdminService& service() { return service_; }

 private:
  FakeAdminService service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

}  // namespace gw::testing
