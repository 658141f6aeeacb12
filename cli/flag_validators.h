// CLI11 validators for gwctl flag values, so a bad value is a usage error (exit 2) reported by
// CLI11 before anything is sent.  sub->add_option("--expires", v)->check(ExpiryValidator());
#pragma once

#include "CLI/CLI.hpp"

namespace gw::cli {

// The literal that clears an optional team value on `team update`.
inline constexpr char kNone[] = "none";

CLI::Validator NonNegativeIntegerOrNone();
CLI::Validator UsdAmountOrNone();
CLI::Validator TierValidator();
CLI::Validator GuardrailLevelValidator();
CLI::Validator ProviderTypeValidator();
CLI::Validator RoutingStrategyValidator();
CLI::Validator DurationValidator();  // 30d, 12h, 90m, 45s, 0
CLI::Validator ExpiryValidator();    // a duration or an RFC 3339 time in the future
CLI::Validator DateValidator();      // YYYY-MM-DD

}  // namespace gw::cli
