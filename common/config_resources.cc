#include "common/config_resources.h"

namespace gw {
namespace cfg = gateway::config::v1;

void CanonicalizeConfig(cfg::GatewayConfig& config) {
  for (cfg::Team& team : *config.mutable_teams()) {
    if (team.tier() == cfg::TIER_UNSPECIFIED) team.set_tier(cfg::TIER_STANDARD);
    if (team.guardrail_level() == cfg::GUARDRAIL_LEVEL_UNSPECIFIED) {
      team.set_guardrail_level(cfg::GUARDRAIL_LEVEL_STANDARD);
    }
  }
  for (cfg::Route& route : *config.mutable_routes()) {
    if (route.strategy() == cfg::ROUTING_STRATEGY_UNSPECIFIED) {
      route.set_strategy(cfg::ROUTING_STRATEGY_FALLBACK);
    }
  }
  SortResources(*config.mutable_teams());
  SortResources(*config.mutable_providers());
  SortResources(*config.mutable_models());
  SortResources(*config.mutable_routes());
  SortResources(*config.mutable_prices());
}

}  // namespace gw
