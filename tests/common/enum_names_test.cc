// Enum names as gwctl, YAML files and error messages spell them.
#include "common/enum_names.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace gw {
namespace {

namespace cfg = gateway::config::v1;

TEST(EnumNamesTest, TiersRoundTrip) {
  for (cfg::Tier tier :
       {cfg::TIER_FREE, cfg::TIER_STANDARD, cfg::TIER_PREMIUM, cfg::TIER_ENTERPRISE}) {
    absl::StatusOr<cfg::Tier> parsed = ParseTier(TierName(tier));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, tier);
  }
  EXPECT_EQ(TierName(cfg::TIER_FREE), "free");
  EXPECT_EQ(TierName(cfg::TIER_ENTERPRISE), "enterprise");
  EXPECT_EQ(TierName(cfg::TIER_UNSPECIFIED), "standard");
}

TEST(EnumNamesTest, GuardrailLevelsRoundTrip) {
  for (cfg::GuardrailLevel level : {cfg::GUARDRAIL_LEVEL_STANDARD, cfg::GUARDRAIL_LEVEL_STRICT}) {
    absl::StatusOr<cfg::GuardrailLevel> parsed = ParseGuardrailLevel(GuardrailLevelName(level));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, level);
  }
  EXPECT_EQ(GuardrailLevelName(cfg::GUARDRAIL_LEVEL_STRICT), "strict");
  EXPECT_EQ(GuardrailLevelName(cfg::GUARDRAIL_LEVEL_UNSPECIFIED), "standard");
}

TEST(EnumNamesTest, ProviderTypesRoundTrip) {
  for (cfg::ProviderType type : {cfg::PROVIDER_TYPE_OPENAI, cfg::PROVIDER_TYPE_ANTHROPIC,
                                 cfg::PROVIDER_TYPE_GEMINI, cfg::PROVIDER_TYPE_OPENAI_COMPATIBLE}) {
    absl::StatusOr<cfg::ProviderType> parsed = ParseProviderType(ProviderTypeName(type));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, type);
  }
  EXPECT_EQ(ProviderTypeName(cfg::PROVIDER_TYPE_OPENAI_COMPATIBLE), "openai-compatible");
  EXPECT_EQ(ProviderTypeName(cfg::PROVIDER_TYPE_UNSPECIFIED), "unspecified");
  EXPECT_FALSE(ParseProviderType("unspecified").ok());
}

TEST(EnumNamesTest, RoutingStrategiesRoundTrip) {
  for (int value = cfg::ROUTING_STRATEGY_FALLBACK; value <= cfg::ROUTING_STRATEGY_CASCADE;
       ++value) {
    const auto strategy = static_cast<cfg::RoutingStrategy>(value);
    absl::StatusOr<cfg::RoutingStrategy> parsed =
        ParseRoutingStrategy(RoutingStrategyName(strategy));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, strategy);
  }
  EXPECT_EQ(RoutingStrategyName(cfg::ROUTING_STRATEGY_LOAD_BALANCED), "load-balanced");
  EXPECT_EQ(RoutingStrategyName(cfg::ROUTING_STRATEGY_UNSPECIFIED), "fallback");
}

TEST(EnumNamesTest, UnknownNamesListTheAcceptedOnes) {
  absl::StatusOr<cfg::Tier> tier = ParseTier("gold");
  ASSERT_FALSE(tier.ok());
  EXPECT_EQ(tier.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(tier.status().message(), "gold"));
  EXPECT_TRUE(absl::StrContains(tier.status().message(), "free, standard, premium, enterprise"))
      << tier.status();
}

TEST(EnumNamesTest, NamesAreCaseSensitiveAndExact) {
  EXPECT_FALSE(ParseTier("Standard").ok());
  EXPECT_FALSE(ParseTier("standard ").ok());
  EXPECT_FALSE(ParseTier("").ok());
  EXPECT_FALSE(ParseProviderType("openai_compatible").ok());
}

}  // namespace
}  // namespace gw
