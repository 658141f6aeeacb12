// What an Apply changes, as the lines gwctl prints: "team/search: created", "model/gpt-4o:
// updated", "route/chat: deleted".
//   for (const std::string& line : DiffConfigs(before, after)) std::cout << line << "\n";
#pragma once

#include <string>
#include <vector>

#include "gateway/config/v1/config.pb.h"

namespace gw::cp {

// One line per resource that differs between the two configurations, grouped by kind (teams,
// providers, models, routes, prices) and sorted by name within a kind. Empty when equal.
std::vector<std::string> DiffConfigs(const gateway::config::v1::GatewayConfig& before,
                                     const gateway::config::v1::GatewayConfig& after);

}  // namespace gw::cp
