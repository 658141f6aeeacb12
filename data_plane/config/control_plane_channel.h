// The gRPC channel a worker opens to the control plane (ConfigDiscovery and UsageReporting
// alike): short reconnect backoff and keepalive pings that go on through quiet periods.
//   auto channel = MakeControlPlaneChannel({.address = "127.0.0.1:7070", ...});
#pragma once

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace gw::dp {

struct ControlPlaneChannelSettings {
  std::string address;  // host:port
  absl::Duration initial_backoff;
  absl::Duration max_backoff;
  absl::Duration keepalive_time;
  absl::Duration keepalive_timeout;
  int max_receive_message_bytes = -1;  // -1: gRPC's default.
};

inline std::shared_ptr<grpc::Channel> MakeControlPlaneChannel(
    const ControlPlaneChannelSettings& settings) {
  const auto millis = [](absl::Duration d) {
    return static_cast<int>(absl::ToInt64Milliseconds(d));
  };
  grpc::ChannelArguments args;
  if (settings.max_receive_message_bytes >= 0) {
    args.SetMaxReceiveMessageSize(settings.max_receive_message_bytes);
  }
  // The channel's own reconnect backoff otherwise grows to 120 s, hiding the control plane long
  // after it is back.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, millis(settings.initial_backoff));
  // gRPC also uses the minimum as the timeout of one connection attempt (20 s by default).
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, millis(settings.max_backoff));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, millis(settings.max_backoff));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, millis(settings.keepalive_time));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, millis(settings.keepalive_timeout));
  // Both streams are quiet for long stretches (between admin writes, while no request is
  // served); keep pinging through the silence.
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  return grpc::CreateCustomChannel(settings.address, grpc::InsecureChannelCredentials(), args);
}

}  // namespace gw::dp
