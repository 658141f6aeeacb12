#include "cli/durations.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace gw::cli {
namespace {

absl::Status NotADuration(absl::string_view text) {
  return absl::InvalidArgumentError(absl::StrCat(
      "'", text.substr(0, 40), "' is not a duration (expected e.g. 30d, 12h, 90m, 45s)"));
}

}  // namespace

absl::StatusOr<absl::Duration> ParseFlagDuration(absl::string_view text) {
  if (text == "0") return absl::ZeroDuration();
  if (text.size() < 2 || text.size() > 12) return NotADuration(text);
  const absl::string_view digits = text.substr(0, text.size() - 1);
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return NotADuration(text);
  }
  int64_t count = 0;
  if (!absl::SimpleAtoi(digits, &count)) return NotADuration(text);
  switch (text.back()) {
    case 'd':
      return absl::Hours(24) * count;
    case 'h':
      return absl::Hours(count);
    case 'm':
      return absl::Minutes(count);
    case 's':
      return absl::Seconds(count);
    default:
      return NotADuration(text);
  }
}

absl::StatusOr<absl::Time> ParseExpiry(absl::string_view text, absl::Time now) {
  absl::Time expiry;
  if (auto duration = ParseFlagDuration(text); duration.ok()) {
    expiry = now + *duration;
  } else {
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &expiry, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", text.substr(0, 40),
                       "' is neither a duration (30d, 12h, 90m) nor an RFC 3339 time "
                       "(2027-01-31T00:00:00Z)"));
    }
  }
  if (expiry <= now) {
    return absl::InvalidArgumentError(
        absl::StrCat("expiry '", text.substr(0, 40), "' is not in the future"));
  }
  return expiry;
}

std::string FormatRfc3339Utc(absl::Time time) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", time, absl::UTCTimeZone());
}

}  // namespace gw::cli
