#include "common/enum_names.h"

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gw {
namespace cfg = gateway::config::v1;
namespace {

template <typename Enum, size_t N>
using NameTable = std::array<std::pair<Enum, absl::string_view>, N>;

constexpr NameTable<cfg::Tier, 4> kTiers = {{{cfg::TIER_FREE, "free"},
                                             {cfg::TIER_STANDARD, "standard"},
                                             {cfg::TIER_PREMIUM, "premium"},
                                             {cfg::TIER_ENTERPRISE, "enterprise"}}};
constexpr NameTable<cfg::GuardrailLevel, 2> kGuardrailLevels = {
    {{cfg::GUARDRAIL_LEVEL_STANDARD, "standard"}, {cfg::GUARDRAIL_LEVEL_STRICT, "strict"}}};
constexpr NameTable<cfg::ProviderType, 4> kProviderTypes = {
    {{cfg::PROVIDER_TYPE_OPENAI, "openai"},
     {cfg::PROVIDER_TYPE_ANTHROPIC, "anthropic"},
     {cfg::PROVIDER_TYPE_GEMINI, "gemini"},
     {cfg::PROVIDER_TYPE_OPENAI_COMPATIBLE, "openai-compatible"}}};
constexpr NameTable<cfg::RoutingStrategy, 7> kStrategies = {
    {{cfg::ROUTING_STRATEGY_FALLBACK, "fallback"},
     {cfg::ROUTING_STRATEGY_COST, "cost"},
     {cfg::ROUTING_STRATEGY_QUALITY, "quality"},
     {cfg::ROUTING_STRATEGY_LATENCY, "latency"},
     {cfg::ROUTING_STRATEGY_LOAD_BALANCED, "load-balanced"},
     {cfg::ROUTING_STRATEGY_CAPABILITY, "capability"},
     {cfg::ROUTING_STRATEGY_CASCADE, "cascade"}}};

template <typename Enum, size_t N>
std::string NameOf(const NameTable<Enum, N>& table, Enum value, absl::string_view fallback) {
  for (const auto& [e, name] : table) {
    if (e == value) return std::string(name);
  }
  return std::string(fallback);
}

template <typename Enum, size_t N>
absl::StatusOr<Enum> Parse(const NameTable<Enum, N>& table, absl::string_view kind,
                           absl::string_view name) {
  for (const auto& [e, n] : table) {
    if (n == name) return e;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown ", kind, " '", name.substr(0, 40), "' (expected one of: ",
      absl::StrJoin(table, ", ", [](std::string* out, const auto& p) { absl::StrAppend(out, p.second); }),
      ")"));
}

}  // namespace

std::string TierName(cfg::Tier tier) { return NameOf(kTiers, tier, "standard"); }
std::string GuardrailLevelName(cfg::GuardrailLevel level) {
  return NameOf(kGuardrailLevels, level, "standard");
}
std::string ProviderTypeName(cfg::ProviderType type) {
  return NameOf(kProviderTypes, type, "unspecified");
}
std::string RoutingStrategyName(cfg::RoutingStrategy strategy) {
  return NameOf(kStrategies, strategy, "fallback");
}

absl::StatusOr<cfg::Tier> ParseTier(absl::string_view name) { return Parse(kTiers, "tier", name); }
absl::StatusOr<cfg::GuardrailLevel> ParseGuardrailLevel(absl::string_view name) {
  return Parse(kGuardrailLevels, "guardrail level", name);
}
absl::StatusOr<cfg::ProviderType> ParseProviderType(absl::string_view name) {
  return Parse(kProviderTypes, "provider type", name);
}
absl::StatusOr<cfg::RoutingStrategy> ParseRoutingStrategy(absl::string_view name) {
  return Parse(kStrategies, "routing strategy", name);
}

}  // namespace gw
