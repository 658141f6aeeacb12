#include "common/feature_level.h"

namespace gw {

int32_t RequiredFeatureLevel(const gateway::config::v1::GatewayConfig& config) {
  // Level 1 serves fallback chains only; any other routing strategy needs the model router of
  // level 2, which no worker implements yet.
  for (const auto& route : config.routes()) {
    if (route.strategy() != gateway::config::v1::ROUTING_STRATEGY_UNSPECIFIED &&
        route.strategy() != gateway::config::v1::ROUTING_STRATEGY_FALLBACK) {
      return 2;
    }
  }
  return 1;
}

}  // namespace gw
