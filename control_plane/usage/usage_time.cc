#include "control_plane/usage/usage_time.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace gw::cp {
namespace {

int64_t FloorDiv(int64_t value, int64_t divisor) {
  const int64_t quotient = value / divisor;
  return (value % divisor != 0 && value < 0) ? quotient - 1 : quotient;
}

absl::CivilMonth MonthOf(int64_t unix_micros) {
  return absl::CivilMonth(
      absl::ToCivilSecond(absl::FromUnixMicros(unix_micros), absl::UTCTimeZone()));
}

int64_t StartOf(absl::CivilMonth month) {
  return absl::ToUnixMicros(absl::FromCivil(month, absl::UTCTimeZone()));
}

bool AllDigits(absl::string_view text) {
  for (const char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

int64_t TimestampMicros(const google::protobuf::Timestamp& timestamp) {
  return timestamp.seconds() * 1'000'000 + timestamp.nanos() / 1000;
}

google::protobuf::Timestamp TimestampFromMicros(int64_t unix_micros) {
  google::protobuf::Timestamp timestamp;
  const int64_t seconds = FloorDiv(unix_micros, 1'000'000);
  timestamp.set_seconds(seconds);
  timestamp.set_nanos(static_cast<int32_t>((unix_micros - seconds * 1'000'000) * 1000));
  return timestamp;
}

int64_t HourStartMicros(int64_t unix_micros) {
  return FloorDiv(unix_micros, kMicrosPerHour) * kMicrosPerHour;
}

int64_t MonthStartMicros(int64_t unix_micros) { return StartOf(MonthOf(unix_micros)); }

int64_t MonthStartMicros(absl::Time t) {
  return StartOf(absl::CivilMonth(absl::ToCivilSecond(t, absl::UTCTimeZone())));
}

int64_t NextMonthStartMicros(int64_t month_start_micros) {
  return StartOf(MonthOf(month_start_micros) + 1);
}

std::string PeriodName(int64_t unix_micros) {
  const absl::CivilMonth month = MonthOf(unix_micros);
  return absl::StrFormat("%04d-%02d", month.year(), month.month());
}

absl::StatusOr<MicrosRange> ParseUtcDay(absl::string_view label, absl::string_view text) {
  auto invalid = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat(label, " '", text, "' is not a date as YYYY-MM-DD (UTC)"));
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return invalid();
  const absl::string_view year_text = text.substr(0, 4);
  const absl::string_view month_text = text.substr(5, 2);
  const absl::string_view day_text = text.substr(8, 2);
  int year = 0;
  int month = 0;
  int day = 0;
  if (!AllDigits(year_text) || !AllDigits(month_text) || !AllDigits(day_text) ||
      !absl::SimpleAtoi(year_text, &year) || !absl::SimpleAtoi(month_text, &month) ||
      !absl::SimpleAtoi(day_text, &day)) {
    return invalid();
  }
  // CivilDay normalises 2026-02-30 to 2026-03-02: a real date survives unchanged.
  const absl::CivilDay civil(year, month, day);
  if (civil.year() != year || civil.month() != month || civil.day() != day || year < 1) {
    return invalid();
  }
  MicrosRange range;
  range.from = absl::ToUnixMicros(absl::FromCivil(civil, absl::UTCTimeZone()));
  range.to = absl::ToUnixMicros(absl::FromCivil(civil + 1, absl::UTCTimeZone()));
  return range;
}

}  // namespace gw::cp
