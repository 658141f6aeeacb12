// Process-wide logging setup for every binary: human text on stderr, or one JSON object per line
// with --log-format json. Log lines carry ids, counts and timings, never prompt text or secrets.
//   GW_RETURN_IF_ERROR(gw::InitLogging("json", "gw-control-plane"));
#pragma once

#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace gw {

// `format` is "text" or "json"; anything else is INVALID_ARGUMENT.
absl::Status InitLogging(absl::string_view format, absl::string_view program);

}  // namespace gw
