#include "cli/flag_validators.h"

#include <functional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli/durations.h"
#include "common/enum_names.h"
#include "common/money.h"

namespace gw::cli {
namespace {

using Check = std::function<absl::Status(const std::string&)>;

CLI::Validator FromCheck(Check check, std::string description) {
  return CLI::Validator(
      [check = std::move(check)](std::string& value) -> std::string {
        const absl::Status status = check(value);
        return status.ok() ? std::string() : std::string(status.message());
      },
      std::move(description));
}

Check OrNone(Check check) {
  return [check = std::move(check)](const std::string& value) {
    return value == kNone ? absl::OkStatus() : check(value);
  };
}

absl::Status CheckNonNegativeInteger(const std::string& value) {
  int64_t number = 0;
  if (!absl::SimpleAtoi(value, &number) || number < 0) {
    return absl::InvalidArgumentError("'" + value + "' is not a non-negative integer");
  }
  return absl::OkStatus();
}

absl::Status CheckUsd(const std::string& value) { return ParseUsdToMicro(value).status(); }

template <typename Parse>
Check StatusOf(Parse parse) {
  return [parse](const std::string& value) { return parse(value).status(); };
}

}  // namespace

CLI::Validator NonNegativeIntegerOrNone() {
  return FromCheck(OrNone(CheckNonNegativeInteger), "INT|none");
}
CLI::Validator UsdAmountOrNone() { return FromCheck(OrNone(CheckUsd), "USD|none"); }
CLI::Validator TierValidator() {
  return FromCheck(StatusOf([](absl::string_view v) { return ParseTier(v); }), "TIER");
}
CLI::Validator GuardrailLevelValidator() {
  return FromCheck(StatusOf([](absl::string_view v) { return ParseGuardrailLevel(v); }), "LEVEL");
}
CLI::Validator ProviderTypeValidator() {
  return FromCheck(StatusOf([](absl::string_view v) { return ParseProviderType(v); }), "TYPE");
}
CLI::Validator RoutingStrategyValidator() {
  return FromCheck(StatusOf([](absl::string_view v) { return ParseRoutingStrategy(v); }),
                   "STRATEGY");
}
CLI::Validator DurationValidator() {
  return FromCheck(StatusOf([](absl::string_view v) { return ParseFlagDuration(v); }), "DURATION");
}
CLI::Validator ExpiryValidator() {
  return FromCheck(StatusOf([](absl::string_view v) { return ParseExpiry(v, absl::Now()); }),
                   "WHEN");
}
CLI::Validator DateValidator() {
  return FromCheck(
      [](const std::string& value) {
        absl::Time parsed;
        std::string error;
        if (value.size() != 10 || !absl::ParseTime("%Y-%m-%d", value, &parsed, &error)) {
          return absl::InvalidArgumentError("'" + value + "' is not a date (YYYY-MM-DD)");
        }
        return absl::OkStatus();
      },
      "YYYY-MM-DD");
}

}  // namespace gw::cli
