// The worker's gRPC listener (--grpc-listen): the Inference service plus server reflection, with
// the request size limit of HTTP bodies. Calls run on the HTTP server's I/O threads, so this
// server stops first on shutdown.
//   GrpcInferenceServer grpc_server({.listen = "127.0.0.1:0", .service = {...}});
//   GW_RETURN_IF_ERROR(grpc_server.Start());    // grpc_server.address() has the bound port
//   grpc_server.Stop(absl::Seconds(10));        // then the HTTP server's Stop
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "data_plane/grpc/inference_service.h"
#include "grpcpp/server.h"

namespace gw::dp {

struct GrpcInferenceServerOptions {
  std::string listen = "127.0.0.1:8081";  // host:port; port 0 picks a free port.
  InferenceServiceOptions service;
};

class GrpcInferenceServer {
 public:
  explicit GrpcInferenceServer(GrpcInferenceServerOptions options);
  ~GrpcInferenceServer();
  GrpcInferenceServer(const GrpcInferenceServer&) = delete;
  GrpcInferenceServer& operator=(const GrpcInferenceServer&) = delete;

  // INVALID_ARGUMENT for a bad address, FAILED_PRECONDITION when it cannot be bound.
  absl::Status Start();

  // host:port with the bound port; valid after Start().
  const std::string& address() const { return address_; }

  // Stops accepting calls; calls still running after `drain` are cancelled (streams then cancel
  // their provider calls). Returns once every call has finished. Idempotent.
  void Stop(absl::Duration drain);

 private:
  GrpcInferenceServerOptions options_;
  std::unique_ptr<InferenceService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

}  // namespace gw::dp
