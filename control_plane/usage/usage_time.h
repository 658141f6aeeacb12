// UTC calendar arithmetic for usage accounting: record timestamps in unix microseconds, hour
// buckets of the rollups, budget periods ("YYYY-MM") and the inclusive date ranges of reports.
//   const int64_t hour = HourStartMicros(ts);  const std::string period = PeriodName(now);
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace gw::cp {

inline constexpr int64_t kMicrosPerHour = int64_t{3600} * 1'000'000;

// Whole microseconds (nanoseconds truncated). The Timestamp must be valid (seconds within
// 0001-01-01..9999-12-31, 0 <= nanos < 1e9), which keeps the result far from int64 limits.
int64_t TimestampMicros(const google::protobuf::Timestamp& timestamp);
google::protobuf::Timestamp TimestampFromMicros(int64_t unix_micros);

// The first microsecond of the UTC hour holding `unix_micros` (rounding down, also before 1970).
int64_t HourStartMicros(int64_t unix_micros);

// The UTC calendar month holding `unix_micros` (or `t`), as unix microseconds of its first
// instant; the next month's start is the end (exclusive).
int64_t MonthStartMicros(int64_t unix_micros);
int64_t MonthStartMicros(absl::Time t);
int64_t NextMonthStartMicros(int64_t month_start_micros);

// "2026-11" for any instant of November 2026 (UTC).
std::string PeriodName(int64_t unix_micros);

// A half-open range of unix microseconds [from, to).
struct MicrosRange {
  int64_t from = 0;
  int64_t to = 0;
};

// Parses "YYYY-MM-DD" (exactly that form, a real calendar date) into the range of that UTC day.
// INVALID_ARGUMENT otherwise, naming `label`.
absl::StatusOr<MicrosRange> ParseUtcDay(absl::string_view label, absl::string_view text);

}  // namespace gw::cp
