// The one validator of configurations, run by the control plane before every commit and by each
// worker before it applies a snapshot, so both planes agree on what is valid.
//   GW_RETURN_IF_ERROR(ValidateConfig(config));
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "gateway/config/v1/config.pb.h"

namespace gw {

// Names, value ranges, uniqueness and references (model -> provider, route -> models,
// price -> model). A team's allowed_models may name models that do not exist yet.
// INVALID_ARGUMENT with a message naming the offending resource.
absl::Status ValidateConfig(const gateway::config::v1::GatewayConfig& config);

// ValidateConfig plus the snapshot's own rules: key entries name existing teams with 32-byte
// digests and unique ids, and the snapshot's required feature level is at most `feature_level`
// (FAILED_PRECONDITION otherwise).
absl::Status ValidateSnapshot(const gateway::config::v1::Snapshot& snapshot,
                              int32_t feature_level);

}  // namespace gw
