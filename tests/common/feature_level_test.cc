// Snapshot feature levels: which configurations a level-1 worker may serve.
#include "common/feature_level.h"

#include "gtest/gtest.h"

namespace gw {
namespace {

namespace cfg = gateway::config::v1;

TEST(FeatureLevelTest, EmptyConfigAndFallbackChainsNeedLevelOne) {
  cfg::GatewayConfig config;
  EXPECT_EQ(RequiredFeatureLevel(config), 1);
  cfg::Route* route = config.add_routes();
  route->set_task("chat");
  route->set_primary("m");
  EXPECT_EQ(RequiredFeatureLevel(config), 1);
  route->set_strategy(cfg::ROUTING_STRATEGY_FALLBACK);
  EXPECT_EQ(RequiredFeatureLevel(config), 1);
  EXPECT_LE(RequiredFeatureLevel(config), kWorkerFeatureLevel);
}

TEST(FeatureLevelTest, AnyOtherStrategyNeedsTheRouterLevel) {
  for (cfg::RoutingStrategy strategy :
       {cfg::ROUTING_STRATEGY_COST, cfg::ROUTING_STRATEGY_QUALITY, cfg::ROUTING_STRATEGY_LATENCY,
        cfg::ROUTING_STRATEGY_LOAD_BALANCED, cfg::ROUTING_STRATEGY_CAPABILITY,
        cfg::ROUTING_STRATEGY_CASCADE}) {
    cfg::GatewayConfig config;
    config.add_routes()->set_strategy(cfg::ROUTING_STRATEGY_FALLBACK);
    config.add_routes()->set_strategy(strategy);
    EXPECT_EQ(RequiredFeatureLevel(config), 2) << strategy;
  }
}

}  // namespace
}  // namespace gw
