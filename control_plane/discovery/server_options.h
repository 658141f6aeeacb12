// gRPC server settings the config streams need: let workers' keepalive pings through on idle
// streams, and ping workers so that a dead one is noticed (and shown disconnected) in seconds.
//   grpc::ServerBuilder builder;  ApplyDiscoveryServerOptions(builder);
#pragma once

#include "absl/time/time.h"
#include "grpcpp/server_builder.h"

namespace gw::cp {

struct DiscoveryServerOptions {
  // Workers may send keepalive pings this often, streams idle or not, without being told
  // GOAWAY too_many_pings. A worker's keepalive time must not be shorter.
  absl::Duration min_worker_ping_interval = absl::Seconds(5);
  // The server pings each connection this often and closes it when a ping goes unanswered for
  // keepalive_timeout; the worker's stream then ends and shows connected=false.
  absl::Duration keepalive_time = absl::Seconds(20);
  absl::Duration keepalive_timeout = absl::Seconds(10);
};

// Sets, on the whole server (the channel arguments are per server, not per service):
//   grpc.http2.min_ping_interval_without_data_ms = min_worker_ping_interval
//   grpc.keepalive_permit_without_calls          = 1
//   grpc.keepalive_time_ms / grpc.keepalive_timeout_ms = keepalive_time / keepalive_timeout
//   grpc.http2.max_pings_without_data            = 0 (keep pinging idle streams)
// The server's send size is already unlimited; workers must raise their receive limit (gRPC's
// default is 4 MB) to take large snapshots.
void ApplyDiscoveryServerOptions(grpc::ServerBuilder& builder,
                                 const DiscoveryServerOptions& options = {});

}  // namespace gw::cp
