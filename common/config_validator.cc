#include "common/config_validator.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "boost/url/parse.hpp"
#include "common/credential_ref.h"
#include "common/names.h"
#include "common/status_macros.h"

namespace gw {
namespace cfg = gateway::config::v1;
namespace {

absl::Status Invalid(absl::string_view resource, absl::string_view name, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(resource, " '", name, "': ", problem));
}

absl::Status CheckPositive(absl::string_view team, absl::string_view field, int64_t value) {
  if (value > 0) return absl::OkStatus();
  return Invalid("team", team, absl::StrCat(field, " must be positive, got ", value));
}

absl::Status ValidateTeam(const cfg::Team& team) {
  GW_RETURN_IF_ERROR(ValidateName("team", team.name()));
  if (!cfg::Tier_IsValid(team.tier())) return Invalid("team", team.name(), "unknown tier");
  if (!cfg::GuardrailLevel_IsValid(team.guardrail_level())) {
    return Invalid("team", team.name(), "unknown guardrail level");
  }
  if (team.has_max_tokens_per_request()) {
    GW_RETURN_IF_ERROR(
        CheckPositive(team.name(), "max tokens per request", team.max_tokens_per_request().value()));
  }
  if (team.has_rpm()) GW_RETURN_IF_ERROR(CheckPositive(team.name(), "rpm", team.rpm().value()));
  if (team.has_tpm()) GW_RETURN_IF_ERROR(CheckPositive(team.name(), "tpm", team.tpm().value()));
  if (team.has_max_concurrent()) {
    GW_RETURN_IF_ERROR(
        CheckPositive(team.name(), "max concurrent requests", team.max_concurrent().value()));
  }
  if (team.has_monthly_budget_micro_usd() && team.monthly_budget_micro_usd().value() < 0) {
    return Invalid("team", team.name(), "monthly budget must not be negative");
  }
  absl::flat_hash_set<std::string> seen;
  for (const std::string& model : team.allowed_models()) {
    GW_RETURN_IF_ERROR(ValidateName("allowed model", model));
    if (!seen.insert(model).second) {
      return Invalid("team", team.name(), absl::StrCat("allowed model '", model, "' is listed twice"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateProvider(const cfg::Provider& provider) {
  GW_RETURN_IF_ERROR(ValidateName("provider", provider.name()));
  if (provider.type() == cfg::PROVIDER_TYPE_UNSPECIFIED || !cfg::ProviderType_IsValid(provider.type())) {
    return Invalid("provider", provider.name(),
                   "unknown provider type (expected openai, anthropic, gemini or openai-compatible)");
  }
  auto url = boost::urls::parse_absolute_uri(provider.base_url());
  if (!url || (url->scheme() != "http" && url->scheme() != "https") || !url->has_authority() ||
      url->host().empty() || url->has_query() || url->has_fragment()) {
    return Invalid("provider", provider.name(),
                   "base URL must be an absolute http:// or https:// URL without query, e.g. "
                   "https://api.openai.com/v1");
  }
  if (absl::StrContains(provider.base_url(), "@")) {
    return Invalid("provider", provider.name(),
                   "base URL must not carry credentials; use a credential reference");
  }
  absl::Status ref = ParseCredentialRef(provider.credential_ref()).status();
  if (!ref.ok()) return Invalid("provider", provider.name(), ref.message());
  return absl::OkStatus();
}

template <typename Resource, typename NameOf>
absl::Status CheckUnique(absl::string_view kind, const google::protobuf::RepeatedPtrField<Resource>& list,
                         NameOf name_of, absl::flat_hash_set<std::string>* names) {
  for (const Resource& resource : list) {
    if (!names->insert(name_of(resource)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(kind, " '", name_of(resource), "' is defined twice"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateConfig(const cfg::GatewayConfig& config) {
  absl::flat_hash_set<std::string> teams, providers, models, routes, prices;
  for (const cfg::Team& team : config.teams()) GW_RETURN_IF_ERROR(ValidateTeam(team));
  GW_RETURN_IF_ERROR(CheckUnique("team", config.teams(), [](auto& t) { return t.name(); }, &teams));

  for (const cfg::Provider& provider : config.providers()) {
    GW_RETURN_IF_ERROR(ValidateProvider(provider));
  }
  GW_RETURN_IF_ERROR(
      CheckUnique("provider", config.providers(), [](auto& p) { return p.name(); }, &providers));

  for (const cfg::Model& model : config.models()) {
    GW_RETURN_IF_ERROR(ValidateName("model", model.name()));
    if (!providers.contains(model.provider())) {
      return Invalid("model", model.name(),
                     absl::StrCat("provider '", model.provider(), "' does not exist"));
    }
    if (model.upstream_model().size() > 256) {
      return Invalid("model", model.name(), "upstream model name is longer than 256 characters");
    }
    if (model.context_window() < 0) {
      return Invalid("model", model.name(), "context window must not be negative");
    }
    for (const std::string& capability : model.capabilities()) {
      GW_RETURN_IF_ERROR(ValidateName("capability", capability));
    }
  }
  GW_RETURN_IF_ERROR(CheckUnique("model", config.models(), [](auto& m) { return m.name(); }, &models));

  for (const cfg::Route& route : config.routes()) {
    GW_RETURN_IF_ERROR(ValidateName("route", route.task()));
    if (!cfg::RoutingStrategy_IsValid(route.strategy())) {
      return Invalid("route", route.task(), "unknown routing strategy");
    }
    absl::flat_hash_set<std::string> chain;
    if (route.primary().empty()) return Invalid("route", route.task(), "a primary model is required");
    chain.insert(route.primary());
    for (const std::string& fallback : route.fallbacks()) {
      if (!chain.insert(fallback).second) {
        return Invalid("route", route.task(),
                       absl::StrCat("model '", fallback, "' appears twice in the chain"));
      }
    }
    for (const std::string& model : chain) {
      if (!models.contains(model)) {
        return Invalid("route", route.task(), absl::StrCat("model '", model, "' does not exist"));
      }
    }
  }
  GW_RETURN_IF_ERROR(CheckUnique("route", config.routes(), [](auto& r) { return r.task(); }, &routes));

  for (const cfg::ModelPrice& price : config.prices()) {
    if (!models.contains(price.model())) {
      return Invalid("price", price.model(), "model does not exist");
    }
    if (price.input_micro_usd_per_mtok() < 0 || price.cached_input_micro_usd_per_mtok() < 0 ||
        price.output_micro_usd_per_mtok() < 0) {
      return Invalid("price", price.model(), "prices must not be negative");
    }
  }
  GW_RETURN_IF_ERROR(CheckUnique("price", config.prices(), [](auto& p) { return p.model(); }, &prices));
  return absl::OkStatus();
}

absl::Status ValidateSnapshot(const cfg::Snapshot& snapshot, int32_t feature_level) {
  if (snapshot.required_feature_level() > feature_level) {
    return absl::FailedPreconditionError(
        absl::StrCat("snapshot version ", snapshot.version(), " requires feature level ",
                     snapshot.required_feature_level(), "; this worker implements level ",
                     feature_level));
  }
  if (snapshot.version() < 1) return absl::InvalidArgumentError("snapshot version must be >= 1");
  GW_RETURN_IF_ERROR(ValidateConfig(snapshot.config()));
  // Views into `snapshot`, which outlives the sets: copying 100,000 ids and digests into strings
  // cost every worker, for every version, about 60% of the time it took to parse them.
  absl::flat_hash_set<absl::string_view> teams;
  teams.reserve(static_cast<size_t>(snapshot.config().teams_size()));
  for (const cfg::Team& team : snapshot.config().teams()) teams.insert(team.name());
  absl::flat_hash_set<absl::string_view> ids, digests;
  ids.reserve(static_cast<size_t>(snapshot.keys_size()));
  digests.reserve(static_cast<size_t>(snapshot.keys_size()));
  for (const cfg::KeyEntry& key : snapshot.keys()) {
    if (key.id().empty() || !ids.insert(key.id()).second) {
      return absl::InvalidArgumentError(absl::StrCat("key id '", key.id(), "' is empty or repeated"));
    }
    if (key.sha256().size() != 32 || !digests.insert(key.sha256()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("key '", key.id(), "' has a malformed or repeated digest"));
    }
    if (!teams.contains(key.team())) {
      return absl::InvalidArgumentError(
          absl::StrCat("key '", key.id(), "' belongs to unknown team '", key.team(), "'"));
    }
  }
  return absl::OkStatus();
}

}  // namespace gw
