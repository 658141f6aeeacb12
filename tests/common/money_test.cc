// Exact money conversions: what `gwctl pricing set --input 2.50`, `pricing import` and every
// cost shown in USD depend on.
#include "common/money.h"

#include <cmath>
#include <cstdint>
#include <limits>

#include "gtest/gtest.h"
#include "tests/integration/harness/status_testing.h"

namespace gw {
namespace {

int64_t ParseOk(absl::string_view text) {
  absl::StatusOr<int64_t> micro = ParseUsdToMicro(text);
  EXPECT_TRUE(micro.ok()) << text << ": " << micro.status();
  return micro.value_or(-1);
}

void ExpectRejected(absl::string_view text) {
  absl::StatusOr<int64_t> micro = ParseUsdToMicro(text);
  EXPECT_FALSE(micro.ok()) << "'" << text << "' parsed as " << *micro;
  if (!micro.ok()) {
    EXPECT_EQ(micro.status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
}

TEST(ParseUsdToMicroTest, ParsesDecimalAmountsExactly) {
  EXPECT_EQ(ParseOk("2.50"), 2'500'000);
  EXPECT_EQ(ParseOk("2.5"), 2'500'000);
  EXPECT_EQ(ParseOk("0.000001"), 1);
  EXPECT_EQ(ParseOk("12"), 12'000'000);
  EXPECT_EQ(ParseOk("0"), 0);
  EXPECT_EQ(ParseOk("0.0"), 0);
  EXPECT_EQ(ParseOk("0.1"), 100'000);  // Not 99'999: no float on the way.
  EXPECT_EQ(ParseOk("15.123456"), 15'123'456);
  EXPECT_EQ(ParseOk("007.5"), 7'500'000);
}

TEST(ParseUsdToMicroTest, AcceptsAMissingWholePart) { EXPECT_EQ(ParseOk(".5"), 500'000); }

TEST(ParseUsdToMicroTest, TrailingZerosBeyondSixDecimalsAreExact) {
  EXPECT_EQ(ParseOk("1.1234560"), 1'123'456);
  EXPECT_EQ(ParseOk("3.000000000000"), 3'000'000);
}

TEST(ParseUsdToMicroTest, RejectsMoreThanSixSignificantDecimals) {
  ExpectRejected("0.0000001");
  ExpectRejected("1.1234567");
  ExpectRejected("0.0000005");  // Would round; a price must not change silently.
}

TEST(ParseUsdToMicroTest, RejectsAnythingButPlainDecimals) {
  for (absl::string_view text : {"", ".", "1.", "-1", "+1", "-0.5", "1e3", "1E3", "0x10", " 1",
                                 "1 ", "1,5", "1.2.3", "$1", "one", "1.-5", "inf", "nan", "١"}) {
    ExpectRejected(text);
  }
}

TEST(ParseUsdToMicroTest, LargestAcceptedAmountAndOverflow) {
  EXPECT_EQ(ParseOk("999999999999.999999"), 999'999'999'999'999'999);
  EXPECT_EQ(ParseOk("000000000000000001"), 1'000'000);  // Leading zeros do not count.
  ExpectRejected("1000000000000");
  ExpectRejected("99999999999999999999999");
  ExpectRejected(std::string(41, '1'));
}

TEST(FormatMicroUsdTest, SixDecimals) {
  EXPECT_EQ(FormatMicroUsd(2'500'000), "2.500000");
  EXPECT_EQ(FormatMicroUsd(0), "0.000000");
  EXPECT_EQ(FormatMicroUsd(1), "0.000001");
  EXPECT_EQ(FormatMicroUsd(123'456'789), "123.456789");
  EXPECT_EQ(FormatMicroUsd(-1'500'000), "-1.500000");
  EXPECT_EQ(FormatMicroUsd(std::numeric_limits<int64_t>::max()), "9223372036854.775807");
  EXPECT_EQ(FormatMicroUsd(std::numeric_limits<int64_t>::min()), "-9223372036854.775808");
}

TEST(FormatMicroUsdTest, RoundTripsThroughParse) {
  for (int64_t micro : {int64_t{0}, int64_t{1}, int64_t{999'999}, int64_t{2'500'000},
                        int64_t{999'999'999'999'999'999}}) {
    EXPECT_EQ(ParseOk(FormatMicroUsd(micro)), micro);
  }
}

TEST(FormatPicoUsdTest, RoundsHalfAwayFromZeroToSixDecimals) {
  EXPECT_EQ(FormatPicoUsd(1'234'567'890), "0.001235");
  EXPECT_EQ(FormatPicoUsd(0), "0.000000");
  EXPECT_EQ(FormatPicoUsd(499'999), "0.000000");
  EXPECT_EQ(FormatPicoUsd(500'000), "0.000001");
  EXPECT_EQ(FormatPicoUsd(1'499'999), "0.000001");
  EXPECT_EQ(FormatPicoUsd(1'500'000), "0.000002");
  EXPECT_EQ(FormatPicoUsd(2'500'000'000'000), "2.500000");
  EXPECT_EQ(FormatPicoUsd(-500'000), "-0.000001");
  EXPECT_EQ(FormatPicoUsd(-499'999), "0.000000");  // No "-0.000000".
  EXPECT_EQ(FormatPicoUsd(std::numeric_limits<int64_t>::max()), "9223372.036855");
  EXPECT_EQ(FormatPicoUsd(std::numeric_limits<int64_t>::min()), "-9223372.036855");
}

int64_t PerTokenOk(double usd_per_token) {
  absl::StatusOr<int64_t> micro = PerTokenUsdToMicroPerMtok(usd_per_token);
  EXPECT_TRUE(micro.ok()) << usd_per_token << ": " << micro.status();
  return micro.value_or(-1);
}

TEST(PerTokenUsdToMicroPerMtokTest, ConvertsTheDecimalTheFloatStandsFor) {
  EXPECT_EQ(PerTokenOk(2.5e-06), 2'500'000);
  EXPECT_EQ(PerTokenOk(3e-07), 300'000);
  EXPECT_EQ(PerTokenOk(1.25e-07), 125'000);
  EXPECT_EQ(PerTokenOk(1.5e-05), 15'000'000);
  EXPECT_EQ(PerTokenOk(0.000003), 3'000'000);
  EXPECT_EQ(PerTokenOk(6e-05), 60'000'000);
  EXPECT_EQ(PerTokenOk(0.0), 0);
  EXPECT_EQ(PerTokenOk(-0.0), 0);
  EXPECT_EQ(PerTokenOk(1.0), 1'000'000'000'000);
  EXPECT_EQ(PerTokenOk(100000.0), 100'000'000'000'000'000);
}

TEST(PerTokenUsdToMicroPerMtokTest, RoundsToNearestTiesAwayFromZero) {
  EXPECT_EQ(PerTokenOk(5e-13), 1);
  EXPECT_EQ(PerTokenOk(4.9e-13), 0);
  EXPECT_EQ(PerTokenOk(1.5e-12), 2);
  EXPECT_EQ(PerTokenOk(2.5e-12), 3);
  EXPECT_EQ(PerTokenOk(2.4999e-12), 2);
  EXPECT_EQ(PerTokenOk(1.2345678e-06), 1'234'568);
  EXPECT_EQ(PerTokenOk(1.2345674e-06), 1'234'567);
  EXPECT_EQ(PerTokenOk(std::numeric_limits<double>::denorm_min()), 0);
}

TEST(PerTokenUsdToMicroPerMtokTest, RejectsNegativeNonFiniteAndHugePrices) {
  for (double bad : {-1e-06, -0.5, std::nan(""), std::numeric_limits<double>::infinity(),
                     -std::numeric_limits<double>::infinity(), 1e7, 1e300}) {
    EXPECT_FALSE(PerTokenUsdToMicroPerMtok(bad).ok()) << bad;
  }
}

TEST(TokenCostPicoUsdTest, MultipliesExactly) {
  absl::StatusOr<int64_t> cost = TokenCostPicoUsd(1000, 2'500'000);
  GW_ASSERT_OK(cost);
  EXPECT_EQ(*cost, 2'500'000'000);  // 1000 tokens at $2.50 per 1M = $0.0025.
  EXPECT_EQ(FormatPicoUsd(*cost), "0.002500");
  cost = TokenCostPicoUsd(0, 2'500'000);
  GW_ASSERT_OK(cost);
  EXPECT_EQ(*cost, 0);
}

TEST(TokenCostPicoUsdTest, OverflowIsOutOfRange) {
  EXPECT_EQ(TokenCostPicoUsd(std::numeric_limits<int64_t>::max(), 2).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(TokenCostPicoUsd(4'000'000'000, 4'000'000'000).status().code(),
            absl::StatusCode::kOutOfRange);
  absl::StatusOr<int64_t> largest = TokenCostPicoUsd(3'000'000'000, 3'000'000'000);
  GW_ASSERT_OK(largest);
  EXPECT_EQ(*largest, 9'000'000'000'000'000'000);
}

}  // namespace
}  // namespace gw
