// The configuration resources' rows (teams, providers, models, routes, prices and their child
// tables): loading them into a GatewayConfig and writing only what differs between two configs.
//   GW_RETURN_IF_ERROR(WriteConfigDiff(tx.db(), before, after, now_micros, &deleted_teams));
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "control_plane/store/database.h"
#include "gateway/config/v1/config.pb.h"

namespace gw::cp {

// Reads the whole configuration, normalised. Call inside a Transaction or under Lock().
absl::StatusOr<gateway::config::v1::GatewayConfig> LoadConfig(Database& db);

// What WriteConfigDiff changed.
struct ConfigDiffStats {
  int64_t resources_written = 0;  // Upserted or deleted resources; 0: the configs are equal.
  std::vector<std::string> deleted_teams;
};

// The resources of normalised `after` that differ from normalised `before`, by name.
// Nothing is written; used to tell a no-op mutation without touching the database.
int64_t CountConfigDifferences(const gateway::config::v1::GatewayConfig& before,
                               const gateway::config::v1::GatewayConfig& after);

// Upserts the resources of `after` that are new or differ from `before` and deletes those gone,
// by name, so a change to one of 10,000 teams writes one team. Both configs must be normalised.
// Call inside a Transaction. Deleting a team deletes its keys (ON DELETE CASCADE).
absl::StatusOr<ConfigDiffStats> WriteConfigDiff(Database& db,
                                                const gateway::config::v1::GatewayConfig& before,
                                                const gateway::config::v1::GatewayConfig& after,
                                                int64_t now_micros);

}  // namespace gw::cp
