#include "data_plane/upstream/upstream_timeouts.h"

#include "absl/strings/cord.h"

namespace gw::dp {
namespace {

constexpr absl::string_view kTimeoutPayloadUrl = "type.gateway/upstream_timeout";

}  // namespace

absl::string_view UpstreamTimeoutName(UpstreamTimeout timeout) {
  switch (timeout) {
    case UpstreamTimeout::kConnect:
      return "connect";
    case UpstreamTimeout::kFirstByte:
      return "first_byte";
    case UpstreamTimeout::kIdle:
      return "idle";
    case UpstreamTimeout::kTotal:
      return "total";
  }
  return "total";
}

absl::Status MakeUpstreamTimeoutError(UpstreamTimeout timeout, absl::string_view message) {
  absl::Status status = absl::DeadlineExceededError(message);
  status.SetPayload(kTimeoutPayloadUrl, absl::Cord(UpstreamTimeoutName(timeout)));
  return status;
}

std::optional<UpstreamTimeout> UpstreamTimeoutOf(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kDeadlineExceeded) return std::nullopt;
  const auto payload = status.GetPayload(kTimeoutPayloadUrl);
  if (!payload) return std::nullopt;
  for (const UpstreamTimeout timeout : {UpstreamTimeout::kConnect, UpstreamTimeout::kFirstByte,
                                        UpstreamTimeout::kIdle, UpstreamTimeout::kTotal}) {
    if (*payload == UpstreamTimeoutName(timeout)) return timeout;
  }
  return std::nullopt;
}

}  // namespace gw::dp
