// An Admin service on a real gRPC server (127.0.0.1, any free port) over a real ConfigStore in a
// private temporary directory, driven through the generated stub, for the Admin API's tests.
//   AdminTestServer server;  server.Call(&Admin::Stub::GetTeam, request, &team);
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "control_plane/admin/admin_service.h"
#include "control_plane/auth/token_auth.h"
#include "control_plane/store/config_store.h"
#include "gateway/admin/v1/admin.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace gw::testing {

inline constexpr char kAdminToken[] = "admin-token-0123456789abcdef";
inline constexpr char kWorkerToken[] = "worker-token-0123456789abcdef";

// A directory under the system temp dir, removed with everything in it at destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "gw-admin-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

class AdminTestServer {
 public:
  using Admin = gateway::admin::v1::Admin;

  AdminTestServer() {
    auto store = cp::ConfigStore::Open(dir_.File("gateway.db"));
    if (!store.ok()) {
      ADD_FAILURE() << "cannot open the store: " << store.status();
      return;
    }
    store_ = *std::move(store);
    service_ = std::make_unique<cp::AdminService>(*store_, auth_, [this] { return workers; });
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    if (server_ == nullptr || port == 0) {
      ADD_FAILURE() << "cannot start the test server";
      return;
    }
    stub_ = Admin::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                               grpc::InsecureChannelCredentials()));
  }
  ~AdminTestServer() {
    if (server_ != nullptr) server_->Shutdown();
  }

  // Calls `method` with `token` as the bearer token ("" sends no authorization metadata).
  template <typename Request, typename Response>
  grpc::Status Call(grpc::Status (Admin::Stub::*method)(grpc::ClientContext*, const Request&,
                                                        Response*),
                    const Request& request, Response* response,
                    const std::string& token = kAdminToken) {
    grpc::ClientContext context;
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return (stub_.get()->*method)(&context, request, response);
  }

  // For calls whose response the test does not look at.
  template <typename Request, typename Response>
  grpc::Status Call(grpc::Status (Admin::Stub::*method)(grpc::ClientContext*, const Request&,
                                                        Response*),
                    const Request& request) {
    Response ignored;
    return Call(method, request, &ignored);
  }

  int64_t Version() const { return store_->Current()->version(); }
  cp::ConfigStore& store() { return *store_; }

  // What GetStatus reports as the connected workers.
  std::vector<gateway::admin::v1::WorkerStatus> workers;

 private:
  TempDir dir_;
  cp::TokenAuth auth_{kAdminToken, kWorkerToken};
  std::unique_ptr<cp::ConfigStore> store_;
  std::unique_ptr<cp::AdminService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Admin::Stub> stub_;
};

inline ::testing::AssertionResult HasCode(const grpc::Status& status, grpc::StatusCode code) {
  if (status.error_code() == code) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected code " << code << ", got "
                                       << status.error_code() << ": " << status.error_message();
}

inline ::testing::AssertionResult IsOk(const grpc::Status& status) {
  return HasCode(status, grpc::StatusCode::OK);
}

}  // namespace gw::testing
