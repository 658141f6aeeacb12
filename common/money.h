// Exact money arithmetic in integer units (CONTRACTS.md): prices in micro-USD per 1M tokens
// (= pico-USD per token), costs in pico-USD, budgets in micro-USD. Never a float on the way.
//   ParseUsdToMicro("2.50") == 2'500'000;  FormatPicoUsd(1'234'567'890) == "0.001235"
#pragma once

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace gw {

inline constexpr int64_t kMicroPerUsd = 1'000'000;
inline constexpr int64_t kPicoPerMicro = 1'000'000;

// Parses a non-negative decimal USD amount ("2.50", "0.000001", "12") into micro-USD, exactly.
// More than 6 significant decimal places, signs, exponents or overflow give INVALID_ARGUMENT.
absl::StatusOr<int64_t> ParseUsdToMicro(absl::string_view text);

// Converts a per-token USD price given as a float (LiteLLM's pricing JSON) to micro-USD per 1M
// tokens: the shortest decimal that round-trips the double is scaled by 10^12 exactly and
// rounded to the nearest integer, ties away from zero. Negative, NaN or huge values fail.
absl::StatusOr<int64_t> PerTokenUsdToMicroPerMtok(double usd_per_token);

// 6 decimal places: FormatMicroUsd(2'500'000) == "2.500000".
std::string FormatMicroUsd(int64_t micro_usd);

// Pico-USD shown in USD with 6 decimals, rounded half away from zero.
std::string FormatPicoUsd(int64_t pico_usd);

// tokens x price in pico-USD; OUT_OF_RANGE on overflow of int64.
absl::StatusOr<int64_t> TokenCostPicoUsd(int64_t tokens, int64_t micro_usd_per_mtok);

}  // namespace gw
