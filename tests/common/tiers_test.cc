// Tier presets and the limits a team ends up with.
#include "common/tiers.h"

#include "gtest/gtest.h"

namespace gw {
namespace {

namespace cfg = gateway::config::v1;

void ExpectLimits(const TeamLimits& limits, int64_t rpm, int64_t tpm, int64_t concurrent) {
  EXPECT_EQ(limits.rpm, rpm);
  EXPECT_EQ(limits.tpm, tpm);
  EXPECT_EQ(limits.max_concurrent, concurrent);
}

TEST(TiersTest, Presets) {
  ExpectLimits(TierPreset(cfg::TIER_FREE), 10, 10'000, 2);
  ExpectLimits(TierPreset(cfg::TIER_STANDARD), 60, 100'000, 10);
  ExpectLimits(TierPreset(cfg::TIER_PREMIUM), 300, 500'000, 50);
  ExpectLimits(TierPreset(cfg::TIER_ENTERPRISE), 1000, 2'000'000, 200);
}

TEST(TiersTest, UnspecifiedTierIsStandard) {
  ExpectLimits(TierPreset(cfg::TIER_UNSPECIFIED), 60, 100'000, 10);
  cfg::Team team;
  team.set_name("default");
  ExpectLimits(EffectiveLimits(team), 60, 100'000, 10);
}

TEST(TiersTest, PresetsGrowWithTheTier) {
  const TeamLimits free = TierPreset(cfg::TIER_FREE);
  const TeamLimits standard = TierPreset(cfg::TIER_STANDARD);
  const TeamLimits premium = TierPreset(cfg::TIER_PREMIUM);
  const TeamLimits enterprise = TierPreset(cfg::TIER_ENTERPRISE);
  EXPECT_LT(free.rpm, standard.rpm);
  EXPECT_LT(standard.rpm, premium.rpm);
  EXPECT_LT(premium.rpm, enterprise.rpm);
  EXPECT_LT(free.tpm, standard.tpm);
  EXPECT_LT(premium.max_concurrent, enterprise.max_concurrent);
}

TEST(TiersTest, EachValueSetOnTheTeamOverridesOnlyItself) {
  cfg::Team team;
  team.set_tier(cfg::TIER_PREMIUM);
  team.mutable_rpm()->set_value(5);
  ExpectLimits(EffectiveLimits(team), 5, 500'000, 50);

  team.clear_rpm();
  team.mutable_tpm()->set_value(42);
  ExpectLimits(EffectiveLimits(team), 300, 42, 50);

  team.mutable_max_concurrent()->set_value(1);
  team.mutable_rpm()->set_value(7);
  ExpectLimits(EffectiveLimits(team), 7, 42, 1);
}

}  // namespace
}  // namespace gw
