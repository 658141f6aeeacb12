#include "control_plane/discovery/server_options.h"

#include <cstdint>
#include <limits>

#include "grpc/grpc.h"

namespace gw::cp {
namespace {

int Millis(absl::Duration duration) {
  const int64_t millis = absl::ToInt64Milliseconds(duration);
  return millis > std::numeric_limits<int>::max() ? std::numeric_limits<int>::max()
                                                  : static_cast<int>(millis);
}

}  // namespace

void ApplyDiscoveryServerOptions(grpc::ServerBuilder& builder,
                                 const DiscoveryServerOptions& options) {
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             Millis(options.min_worker_ping_interval));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, Millis(options.keepalive_time));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, Millis(options.keepalive_timeout));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
}

}  // namespace gw::cp
