// Team tiers and the limits a team ends up with: the tier's preset unless the team sets a value.
//   TeamLimits limits = EffectiveLimits(team);  // limits.rpm == 60 for a default team
#pragma once

#include <cstdint>

#include "gateway/config/v1/config.pb.h"

namespace gw {

struct TeamLimits {
  int64_t rpm = 0;
  int64_t tpm = 0;
  int64_t max_concurrent = 0;
};

// The preset of a tier; TIER_UNSPECIFIED is the standard tier.
TeamLimits TierPreset(gateway::config::v1::Tier tier);

// RPM, TPM and concurrency in force for `team`.
TeamLimits EffectiveLimits(const gateway::config::v1::Team& team);

}  // namespace gw
