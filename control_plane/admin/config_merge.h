// The merge behind `Apply` (gwctl apply -f): a declarative configuration is laid over the
// current one resource by resource, by name within each kind.
//   GW_RETURN_IF_ERROR(MergeConfig(file_config, /*prune=*/false, current));
#pragma once

#include "absl/status/status.h"
#include "gateway/config/v1/config.pb.h"

namespace gw::cp {

// Each resource of `incoming` replaces the one of the same kind and name in `config` or is
// added; with `prune`, resources of `config` absent from `incoming` are removed. Teams get their
// defaults (ApplyTeamDefaults) and every list ends sorted by name. INVALID_ARGUMENT when
// `incoming` defines one resource twice; `config` is then unchanged.
absl::Status MergeConfig(const gateway::config::v1::GatewayConfig& incoming, bool prune,
                         gateway::config::v1::GatewayConfig& config);

}  // namespace gw::cp
