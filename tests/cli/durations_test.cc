#include "cli/durations.h"

#include "gtest/gtest.h"

namespace gw::cli {
namespace {

TEST(ParseFlagDurationTest, AcceptsEachUnit) {
  EXPECT_EQ(*ParseFlagDuration("30d"), absl::Hours(24 * 30));
  EXPECT_EQ(*ParseFlagDuration("12h"), absl::Hours(12));
  EXPECT_EQ(*ParseFlagDuration("90m"), absl::Minutes(90));
  EXPECT_EQ(*ParseFlagDuration("45s"), absl::Seconds(45));
  EXPECT_EQ(*ParseFlagDuration("0"), absl::ZeroDuration());
  EXPECT_EQ(*ParseFlagDuration("0h"), absl::ZeroDuration());
}

TEST(ParseFlagDurationTest, RejectsMalformedText) {
  for (const char* bad :
       {"", "d", "30", "-1h", "1.5h", "10w", "soon", "1h30m", " 1h", "1H", "99999999999999d"}) {
    EXPECT_FALSE(ParseFlagDuration(bad).ok()) << bad;
  }
}

TEST(ParseExpiryTest, DurationIsRelativeToNow) {
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  EXPECT_EQ(*ParseExpiry("30d", now), now + absl::Hours(24 * 30));
  EXPECT_EQ(*ParseExpiry("90m", now), now + absl::Minutes(90));
}

TEST(ParseExpiryTest, AcceptsRfc3339AndRejectsThePast) {
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);  // 2027-01-15T08:00:00Z
  absl::StatusOr<absl::Time> expiry = ParseExpiry("2027-02-01T00:00:00Z", now);
  ASSERT_TRUE(expiry.ok()) << expiry.status();
  EXPECT_EQ(*expiry, absl::FromUnixSeconds(1'801'440'000));
  EXPECT_EQ(*ParseExpiry("2027-02-01T01:00:00+01:00", now), *expiry);
  EXPECT_FALSE(ParseExpiry("2020-01-01T00:00:00Z", now).ok());
  EXPECT_FALSE(ParseExpiry("0", now).ok());
  EXPECT_FALSE(ParseExpiry("soon", now).ok());
  EXPECT_FALSE(ParseExpiry("2027-02-01", now).ok());
}

TEST(FormatRfc3339UtcTest, PrintsUtcWithZ) {
  EXPECT_EQ(FormatRfc3339Utc(absl::FromUnixSeconds(1'801'440'000)), "2027-02-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Utc(absl::FromUnixSeconds(0) + absl::Milliseconds(250)),
            "1970-01-01T00:00:00.25Z");
}

}  // namespace
}  // namespace gw::cli
