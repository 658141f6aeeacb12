#include "common/tiers.h"

namespace gw {

using gateway::config::v1::Tier;

TeamLimits TierPreset(Tier tier) {
  switch (tier) {
    case gateway::config::v1::TIER_FREE:
      return {.rpm = 10, .tpm = 10'000, .max_concurrent = 2};
    case gateway::config::v1::TIER_PREMIUM:
      return {.rpm = 300, .tpm = 500'000, .max_concurrent = 50};
    case gateway::config::v1::TIER_ENTERPRISE:
      return {.rpm = 1000, .tpm = 2'000'000, .max_concurrent = 200};
    default:
      return {.rpm = 60, .tpm = 100'000, .max_concurrent = 10};
  }
}

TeamLimits EffectiveLimits(const gateway::config::v1::Team& team) {
  TeamLimits limits = TierPreset(team.tier());
  if (team.has_rpm()) limits.rpm = team.rpm().value();
  if (team.has_tpm()) limits.tpm = team.tpm().value();
  if (team.has_max_concurrent()) limits.max_concurrent = team.max_concurrent().value();
  return limits;
}

}  // namespace gw
