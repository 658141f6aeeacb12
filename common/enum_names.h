// The lower-case names of config enums as gwctl, YAML files and error messages spell them:
// tier "standard", provider type "openai-compatible", strategy "cost", guardrail level "strict".
#pragma once

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "gateway/config/v1/config.pb.h"

namespace gw {

// Unspecified values print as their default ("standard", "fallback"); a provider type prints
// as "unspecified".
std::string TierName(gateway::config::v1::Tier tier);
std::string GuardrailLevelName(gateway::config::v1::GuardrailLevel level);
std::string ProviderTypeName(gateway::config::v1::ProviderType type);
std::string RoutingStrategyName(gateway::config::v1::RoutingStrategy strategy);

// INVALID_ARGUMENT listing the accepted names when `name` is none of them.
absl::StatusOr<gateway::config::v1::Tier> ParseTier(absl::string_view name);
absl::StatusOr<gateway::config::v1::GuardrailLevel> ParseGuardrailLevel(absl::string_view name);
absl::StatusOr<gateway::config::v1::ProviderType> ParseProviderType(absl::string_view name);
absl::StatusOr<gateway::config::v1::RoutingStrategy> ParseRoutingStrategy(absl::string_view name);

}  // namespace gw
