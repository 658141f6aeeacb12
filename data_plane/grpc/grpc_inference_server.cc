#include "data_plane/grpc/grpc_inference_server.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "data_plane/server/listen_address.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace gw::dp {

GrpcInferenceServer::GrpcInferenceServer(GrpcInferenceServerOptions options)
    : options_(std::move(options)) {}

GrpcInferenceServer::~GrpcInferenceServer() { Stop(absl::ZeroDuration()); }

absl::Status GrpcInferenceServer::Start() {
  GW_ASSIGN_OR_RETURN(const ListenAddress listen,
                      ParseListenAddress(options_.listen, "--grpc-listen"));
  service_ = std::make_unique<InferenceService>(options_.service);

  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(FormatHostPort(listen.host, listen.port),
                           grpc::InsecureServerCredentials(), &bound_port);
  // A JSON body is at least as large as its message: the HTTP limit bounds messages too.
  builder.SetMaxReceiveMessageSize(static_cast<int>(
      std::min<uint64_t>(options_.service.max_body_bytes, static_cast<uint64_t>(INT_MAX))));
  // gRPC sets SO_REUSEPORT by default: a second worker would then share the port silently.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Clients that keep long completions alive with pings every 10 s or more are welcome; gRPC's
  // default (one ping per 5 min) would answer them with GOAWAY too_many_pings mid-stream.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || bound_port == 0) {
    server_.reset();
    return absl::FailedPreconditionError(
        absl::StrCat("cannot listen on ", options_.listen, " (address in use or not available)"));
  }
  address_ = FormatHostPort(listen.host, static_cast<uint16_t>(bound_port));
  return absl::OkStatus();
}

void GrpcInferenceServer::Stop(absl::Duration drain) {
  if (server_ == nullptr) return;
  server_->Shutdown(absl::ToChronoTime(absl::Now() + drain));
  server_->Wait();
  server_.reset();
}

}  // namespace gw::dp
