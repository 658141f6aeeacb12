#include "common/money.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace gw {
namespace {

absl::Status NotADecimal(absl::string_view text) {
  return absl::InvalidArgumentError(
      absl::StrCat("'", text.substr(0, 40),
                   "' is not a decimal USD amount (expected e.g. 2.50, at most 6 decimals)"));
}

// value = digits x 10^exponent, digits a non-empty string of decimal digits.
struct Decimal {
  std::string digits;
  int exponent = 0;
};

// Rounds digits x 10^exponent to an integer, ties away from zero (values are non-negative).
absl::StatusOr<int64_t> RoundToInteger(const Decimal& d) {
  std::string integer_digits;
  int first_dropped = 0;
  if (d.exponent >= 0) {
    integer_digits = d.digits + std::string(static_cast<size_t>(d.exponent), '0');
  } else {
    const size_t drop = static_cast<size_t>(-d.exponent);
    if (drop < d.digits.size()) {
      integer_digits = d.digits.substr(0, d.digits.size() - drop);
      first_dropped = d.digits[d.digits.size() - drop] - '0';
    } else if (drop == d.digits.size()) {
      first_dropped = d.digits[0] - '0';
    }
  }
  const size_t first_nonzero = integer_digits.find_first_not_of('0');
  integer_digits = first_nonzero == std::string::npos ? "0" : integer_digits.substr(first_nonzero);
  if (integer_digits.size() > 18) return absl::OutOfRangeError("amount too large");
  int64_t value = 0;
  std::from_chars(integer_digits.data(), integer_digits.data() + integer_digits.size(), value);
  if (first_dropped >= 5) ++value;
  return value;
}

}  // namespace

absl::StatusOr<int64_t> ParseUsdToMicro(absl::string_view text) {
  if (text.empty() || text.size() > 40) return NotADecimal(text);
  const size_t dot = text.find('.');
  absl::string_view whole = text.substr(0, dot);
  absl::string_view fraction = dot == absl::string_view::npos ? "" : text.substr(dot + 1);
  if (whole.empty() && fraction.empty()) return NotADecimal(text);
  if (dot != absl::string_view::npos && fraction.empty()) return NotADecimal(text);
  for (absl::string_view part : {whole, fraction}) {
    for (char c : part) {
      if (c < '0' || c > '9') return NotADecimal(text);
    }
  }
  while (fraction.size() > 6 && fraction.back() == '0') fraction.remove_suffix(1);
  if (fraction.size() > 6) return NotADecimal(text);
  const size_t first_nonzero = whole.find_first_not_of('0');
  whole = first_nonzero == absl::string_view::npos ? "" : whole.substr(first_nonzero);
  if (whole.size() > 12) return absl::InvalidArgumentError(absl::StrCat("'", text, "' is too large"));
  int64_t micro = 0;
  for (char c : whole) micro = micro * 10 + (c - '0');
  for (size_t i = 0; i < 6; ++i) micro = micro * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  return micro;
}

absl::StatusOr<int64_t> PerTokenUsdToMicroPerMtok(double usd_per_token) {
  if (!std::isfinite(usd_per_token) || usd_per_token < 0 || usd_per_token > 1e6) {
    return absl::InvalidArgumentError(
        absl::StrCat("price per token ", usd_per_token, " is out of range"));
  }
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, usd_per_token,
                                       std::chars_format::scientific);
  if (ec != std::errc()) return absl::InternalError("cannot format price");
  // Shortest round-trip form: d[.ddd]e[+-]XX
  absl::string_view repr(buffer, static_cast<size_t>(end - buffer));
  const size_t e = repr.find('e');
  absl::string_view mantissa = repr.substr(0, e);
  int exponent = 0;
  std::from_chars(repr.data() + e + (repr[e + 1] == '+' ? 2 : 1), end, exponent);
  Decimal d;
  for (char c : mantissa) {
    if (c != '.') d.digits.push_back(c);
  }
  // mantissa d.ddd has (digits - 1) fractional digits; scale by 10^12 for micro-USD per 1M.
  d.exponent = exponent - static_cast<int>(d.digits.size() - 1) + 12;
  return RoundToInteger(d);
}

std::string FormatMicroUsd(int64_t micro_usd) {
  const bool negative = micro_usd < 0;
  const uint64_t magnitude =
      negative ? 0 - static_cast<uint64_t>(micro_usd) : static_cast<uint64_t>(micro_usd);
  return absl::StrFormat("%s%d.%06d", negative ? "-" : "", magnitude / 1'000'000,
                         magnitude % 1'000'000);
}

std::string FormatPicoUsd(int64_t pico_usd) {
  const bool negative = pico_usd < 0;
  uint64_t magnitude =
      negative ? 0 - static_cast<uint64_t>(pico_usd) : static_cast<uint64_t>(pico_usd);
  uint64_t micro = magnitude / 1'000'000;
  if (magnitude % 1'000'000 >= 500'000) ++micro;
  return absl::StrFormat("%s%d.%06d", negative && micro != 0 ? "-" : "", micro / 1'000'000,
                         micro % 1'000'000);
}

absl::StatusOr<int64_t> TokenCostPicoUsd(int64_t tokens, int64_t micro_usd_per_mtok) {
  int64_t cost = 0;
  if (__builtin_mul_overflow(tokens, micro_usd_per_mtok, &cost)) {
    return absl::OutOfRangeError("token cost overflows int64 pico-USD");
  }
  return cost;
}

}  // namespace gw
