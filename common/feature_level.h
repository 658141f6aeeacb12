// Snapshot feature levels: a snapshot that uses a capability newer workers added requires their
// level, and an older worker NACKs it instead of serving it half-understood.
#pragma once

#include <cstdint>

#include "gateway/config/v1/config.pb.h"

namespace gw {

// The level this build of the data plane implements. Bump it when a worker learns to serve a
// configuration feature that older workers would misapply, and raise RequiredFeatureLevel.
inline constexpr int32_t kWorkerFeatureLevel = 1;

// The lowest worker level able to serve `config` as written.
int32_t RequiredFeatureLevel(const gateway::config::v1::GatewayConfig& config);

}  // namespace gw
