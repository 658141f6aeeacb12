// gwctl's connection to the control plane's Admin gRPC API: one insecure channel, the admin
// token as `authorization: Bearer` metadata and a deadline on every call.
//   AdminClient client({.server = "127.0.0.1:7070", .token = token});
//   absl::Status s = client.Call("GetTeam", &Admin::Stub::GetTeam, request, &team);
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gateway/admin/v1/admin.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace gw::cli {

struct ConnectionOptions {
  std::string server;  // host:port
  std::string token;   // empty: no authorization metadata
  absl::Duration deadline = absl::Seconds(30);
};

class AdminClient {
 public:
  using Stub = gateway::admin::v1::Admin::Stub;

  explicit AdminClient(ConnectionOptions options);

  // Makes one unary call. On failure the status keeps its gRPC code and carries a message
  // fit for one line of stderr: the server's own message for refusals, "cannot reach the server
  // at ADDR" when it is unreachable, and a plain note for an RPC the server does not implement.
  template <typename Request, typename Response>
  absl::Status Call(absl::string_view method,
                    grpc::Status (Stub::*rpc)(grpc::ClientContext*, const Request&, Response*),
                    const Request& request, Response* response) {
    grpc::ClientContext context;
    PrepareContext(context);
    return Translate(method, (stub_.get()->*rpc)(&context, request, response));
  }

 private:
  void PrepareContext(grpc::ClientContext& context) const;
  absl::Status Translate(absl::string_view method, const grpc::Status& status) const;

  ConnectionOptions options_;
  std::unique_ptr<Stub> stub_;
};

}  // namespace gw::cli
