// Durations and expiry times as gwctl flags spell them: "30d", "12h", "90m", "45s", or (for
// expiries) an RFC 3339 time.  ParseFlagDuration("24h") == absl::Hours(24).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace gw::cli {

// A non-negative whole number followed by one unit: d (days of 24 h), h, m or s. "0" alone is
// accepted as zero. Anything else is INVALID_ARGUMENT.
absl::StatusOr<absl::Duration> ParseFlagDuration(absl::string_view text);

// `--expires`: a positive duration from `now` ("30d") or an absolute RFC 3339 time
// ("2027-01-31T00:00:00Z"). A time not after `now` is INVALID_ARGUMENT: such a key would be
// born expired.
absl::StatusOr<absl::Time> ParseExpiry(absl::string_view text, absl::Time now);

// RFC 3339 in UTC, fractional seconds only when present: "2026-11-25T17:59:47Z".
std::string FormatRfc3339Utc(absl::Time time);

}  // namespace gw::cli
