#include "cli/config_yaml.h"

#include <functional>
#include <initializer_list>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/enum_names.h"
#include "common/money.h"
#include "common/status_macros.h"
#include "yaml-cpp/yaml.h"

namespace gw::cli {
namespace {

namespace cfg = gateway::config::v1;

constexpr std::initializer_list<absl::string_view> kTopLevelKeys = {"teams", "providers", "models",
                                                                    "routes", "pricing"};
constexpr std::initializer_list<absl::string_view> kTeamKeys = {
    "name", "tier",           "allowed_models",     "max_tokens_per_request", "rpm",
    "tpm",  "max_concurrent", "monthly_budget_usd", "guardrail_level"};
constexpr std::initializer_list<absl::string_view> kProviderKeys = {"name", "type", "base_url",
                                                                    "credential_ref"};
constexpr std::initializer_list<absl::string_view> kModelKeys = {
    "name", "provider", "upstream_model", "capabilities", "context_window"};
constexpr std::initializer_list<absl::string_view> kRouteKeys = {"task", "primary", "fallbacks",
                                                                 "strategy"};
constexpr std::initializer_list<absl::string_view> kPriceKeys = {
    "model", "input_usd_per_mtok", "cached_input_usd_per_mtok", "output_usd_per_mtok"};

// Errors carry the 1-based line of the offending node and its path in the document.
absl::Status ErrorAt(const YAML::Node& node, absl::string_view path, absl::string_view message) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", message));
  return absl::InvalidArgumentError(
      absl::StrCat("line ", mark.line + 1, ": ", path, ": ", message));
}

bool IsAbsent(const YAML::Node& node) { return !node.IsDefined() || node.IsNull(); }

std::string Child(absl::string_view path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

// A mapping whose keys are all in `allowed`: a typo must not be silently ignored.
absl::Status CheckMapping(const YAML::Node& node, absl::string_view path,
                          std::initializer_list<absl::string_view> allowed) {
  if (!node.IsMap()) return ErrorAt(node, path, "expected a mapping");
  absl::flat_hash_set<std::string> seen;
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) return ErrorAt(entry.first, path, "keys must be plain names");
    const std::string key = entry.first.Scalar();
    // yaml-cpp keeps one of two equal keys without a word; which one was meant is unknowable.
    if (!seen.insert(key).second) {
      return ErrorAt(entry.first, Child(path, key), "duplicate key");
    }
    bool known = false;
    for (absl::string_view name : allowed) known = known || name == key;
    if (!known) {
      return ErrorAt(entry.first, Child(path, key),
                     absl::StrCat("unknown key '", key,
                                  "' (expected one of: ", absl::StrJoin(allowed, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadString(const YAML::Node& node, absl::string_view path) {
  if (!node.IsScalar()) return ErrorAt(node, path, "expected a string");
  return node.Scalar();
}

absl::StatusOr<std::string> RequiredString(const YAML::Node& map, absl::string_view path,
                                           absl::string_view key) {
  const YAML::Node node = map[std::string(key)];
  if (IsAbsent(node)) return ErrorAt(map, Child(path, key), "required");
  return ReadString(node, Child(path, key));
}

// Empty when absent.
absl::StatusOr<std::string> OptionalString(const YAML::Node& map, absl::string_view path,
                                           absl::string_view key) {
  const YAML::Node node = map[std::string(key)];
  if (IsAbsent(node)) return std::string();
  return ReadString(node, Child(path, key));
}

absl::Status ReadStringList(const YAML::Node& map, absl::string_view path, absl::string_view key,
                            google::protobuf::RepeatedPtrField<std::string>* out) {
  const YAML::Node node = map[std::string(key)];
  if (IsAbsent(node)) return absl::OkStatus();
  const std::string list_path = Child(path, key);
  if (!node.IsSequence()) return ErrorAt(node, list_path, "expected a list of names");
  for (size_t i = 0; i < node.size(); ++i) {
    GW_ASSIGN_OR_RETURN(std::string item,
                        ReadString(node[i], absl::StrCat(list_path, "[", i, "]")));
    out->Add(std::move(item));
  }
  return absl::OkStatus();
}

// nullopt when absent or null.
absl::StatusOr<std::optional<int64_t>> OptionalInt(const YAML::Node& map, absl::string_view path,
                                                   absl::string_view key) {
  const YAML::Node node = map[std::string(key)];
  if (IsAbsent(node)) return std::optional<int64_t>();
  int64_t value = 0;
  if (!node.IsScalar() || !absl::SimpleAtoi(node.Scalar(), &value)) {
    return ErrorAt(node, Child(path, key), "expected an integer");
  }
  return std::optional<int64_t>(value);
}

absl::StatusOr<std::optional<int64_t>> OptionalUsd(const YAML::Node& map, absl::string_view path,
                                                   absl::string_view key) {
  const YAML::Node node = map[std::string(key)];
  if (IsAbsent(node)) return std::optional<int64_t>();
  if (!node.IsScalar()) return ErrorAt(node, Child(path, key), "expected a decimal USD amount");
  absl::StatusOr<int64_t> micro = ParseUsdToMicro(node.Scalar());
  if (!micro.ok()) return ErrorAt(node, Child(path, key), micro.status().message());
  return std::optional<int64_t>(*micro);
}

template <typename Enum>
absl::StatusOr<Enum> ReadEnum(const YAML::Node& map, absl::string_view path, absl::string_view key,
                              Enum default_value,
                              absl::StatusOr<Enum> (*parse)(absl::string_view)) {
  const YAML::Node node = map[std::string(key)];
  if (IsAbsent(node)) return default_value;
  GW_ASSIGN_OR_RETURN(std::string name, ReadString(node, Child(path, key)));
  absl::StatusOr<Enum> value = parse(name);
  if (!value.ok()) return ErrorAt(node, Child(path, key), value.status().message());
  return *value;
}

absl::StatusOr<cfg::Team> ReadTeam(const YAML::Node& node, const std::string& path) {
  GW_RETURN_IF_ERROR(CheckMapping(node, path, kTeamKeys));
  cfg::Team team;
  GW_ASSIGN_OR_RETURN(*team.mutable_name(), RequiredString(node, path, "name"));
  GW_ASSIGN_OR_RETURN(cfg::Tier tier,
                      ReadEnum(node, path, "tier", cfg::TIER_STANDARD, &gw::ParseTier));
  team.set_tier(tier);
  GW_RETURN_IF_ERROR(ReadStringList(node, path, "allowed_models", team.mutable_allowed_models()));
  using Mutator = google::protobuf::Int64Value* (cfg::Team::*)();
  const std::pair<absl::string_view, Mutator> limits[] = {
      {"max_tokens_per_request", &cfg::Team::mutable_max_tokens_per_request},
      {"rpm", &cfg::Team::mutable_rpm},
      {"tpm", &cfg::Team::mutable_tpm},
      {"max_concurrent", &cfg::Team::mutable_max_concurrent}};
  for (const auto& [key, mutator] : limits) {
    GW_ASSIGN_OR_RETURN(std::optional<int64_t> value, OptionalInt(node, path, key));
    if (value) (team.*mutator)()->set_value(*value);
  }
  GW_ASSIGN_OR_RETURN(std::optional<int64_t> budget, OptionalUsd(node, path, "monthly_budget_usd"));
  if (budget) team.mutable_monthly_budget_micro_usd()->set_value(*budget);
  GW_ASSIGN_OR_RETURN(cfg::GuardrailLevel level,
                      ReadEnum(node, path, "guardrail_level", cfg::GUARDRAIL_LEVEL_STANDARD,
                               &gw::ParseGuardrailLevel));
  team.set_guardrail_level(level);
  return team;
}

absl::StatusOr<cfg::Provider> ReadProvider(const YAML::Node& node, const std::string& path) {
  GW_RETURN_IF_ERROR(CheckMapping(node, path, kProviderKeys));
  cfg::Provider provider;
  GW_ASSIGN_OR_RETURN(*provider.mutable_name(), RequiredString(node, path, "name"));
  if (IsAbsent(node["type"])) return ErrorAt(node, Child(path, "type"), "required");
  GW_ASSIGN_OR_RETURN(
      cfg::ProviderType type,
      ReadEnum(node, path, "type", cfg::PROVIDER_TYPE_UNSPECIFIED, &gw::ParseProviderType));
  provider.set_type(type);
  GW_ASSIGN_OR_RETURN(*provider.mutable_base_url(), OptionalString(node, path, "base_url"));
  GW_ASSIGN_OR_RETURN(*provider.mutable_credential_ref(),
                      OptionalString(node, path, "credential_ref"));
  return provider;
}

absl::StatusOr<cfg::Model> ReadModel(const YAML::Node& node, const std::string& path) {
  GW_RETURN_IF_ERROR(CheckMapping(node, path, kModelKeys));
  cfg::Model model;
  GW_ASSIGN_OR_RETURN(*model.mutable_name(), RequiredString(node, path, "name"));
  GW_ASSIGN_OR_RETURN(*model.mutable_provider(), RequiredString(node, path, "provider"));
  GW_ASSIGN_OR_RETURN(*model.mutable_upstream_model(),
                      OptionalString(node, path, "upstream_model"));
  GW_RETURN_IF_ERROR(ReadStringList(node, path, "capabilities", model.mutable_capabilities()));
  GW_ASSIGN_OR_RETURN(std::optional<int64_t> context_window,
                      OptionalInt(node, path, "context_window"));
  model.set_context_window(context_window.value_or(0));
  return model;
}

absl::StatusOr<cfg::Route> ReadRoute(const YAML::Node& node, const std::string& path) {
  GW_RETURN_IF_ERROR(CheckMapping(node, path, kRouteKeys));
  cfg::Route route;
  GW_ASSIGN_OR_RETURN(*route.mutable_task(), RequiredString(node, path, "task"));
  GW_ASSIGN_OR_RETURN(*route.mutable_primary(), RequiredString(node, path, "primary"));
  GW_RETURN_IF_ERROR(ReadStringList(node, path, "fallbacks", route.mutable_fallbacks()));
  GW_ASSIGN_OR_RETURN(
      cfg::RoutingStrategy strategy,
      ReadEnum(node, path, "strategy", cfg::ROUTING_STRATEGY_FALLBACK, &gw::ParseRoutingStrategy));
  route.set_strategy(strategy);
  return route;
}

absl::StatusOr<cfg::ModelPrice> ReadPrice(const YAML::Node& node, const std::string& path) {
  GW_RETURN_IF_ERROR(CheckMapping(node, path, kPriceKeys));
  cfg::ModelPrice price;
  GW_ASSIGN_OR_RETURN(*price.mutable_model(), RequiredString(node, path, "model"));
  for (absl::string_view key : {"input_usd_per_mtok", "output_usd_per_mtok"}) {
    if (IsAbsent(node[std::string(key)])) return ErrorAt(node, Child(path, key), "required");
  }
  GW_ASSIGN_OR_RETURN(std::optional<int64_t> input, OptionalUsd(node, path, "input_usd_per_mtok"));
  GW_ASSIGN_OR_RETURN(std::optional<int64_t> cached,
                      OptionalUsd(node, path, "cached_input_usd_per_mtok"));
  GW_ASSIGN_OR_RETURN(std::optional<int64_t> output,
                      OptionalUsd(node, path, "output_usd_per_mtok"));
  price.set_input_micro_usd_per_mtok(*input);
  price.set_cached_input_micro_usd_per_mtok(cached.value_or(*input));
  price.set_output_micro_usd_per_mtok(*output);
  return price;
}

const std::string& NameOf(const cfg::Team& team) { return team.name(); }
const std::string& NameOf(const cfg::Provider& provider) { return provider.name(); }
const std::string& NameOf(const cfg::Model& model) { return model.name(); }
const std::string& NameOf(const cfg::Route& route) { return route.task(); }
const std::string& NameOf(const cfg::ModelPrice& price) { return price.model(); }

template <typename Message>
absl::Status ReadSection(
    const YAML::Node& root, absl::string_view key,
    const std::function<absl::StatusOr<Message>(const YAML::Node&, const std::string&)>& read,
    google::protobuf::RepeatedPtrField<Message>* out) {
  const YAML::Node section = root[std::string(key)];
  if (IsAbsent(section)) return absl::OkStatus();
  if (!section.IsSequence()) return ErrorAt(section, key, "expected a list");
  absl::flat_hash_map<std::string, size_t> index_by_name;
  for (size_t i = 0; i < section.size(); ++i) {
    const std::string path = absl::StrCat(key, "[", i, "]");
    GW_ASSIGN_OR_RETURN(Message item, read(section[i], path));
    // Two entries of one name would silently override each other in the merge.
    const auto [it, inserted] = index_by_name.emplace(NameOf(item), i);
    if (!inserted) {
      return ErrorAt(
          section[i], path,
          absl::StrCat("duplicate '", NameOf(item), "' (also ", key, "[", it->second, "])"));
    }
    *out->Add() = std::move(item);
  }
  return absl::OkStatus();
}

absl::StatusOr<cfg::GatewayConfig> ParseDocument(const YAML::Node& root) {
  cfg::GatewayConfig config;
  if (IsAbsent(root)) return config;  // An empty file is an empty configuration.
  if (!root.IsMap()) return ErrorAt(root, "(top level)", "expected a mapping");
  GW_RETURN_IF_ERROR(CheckMapping(root, "", kTopLevelKeys));
  GW_RETURN_IF_ERROR(ReadSection<cfg::Team>(root, "teams", ReadTeam, config.mutable_teams()));
  GW_RETURN_IF_ERROR(
      ReadSection<cfg::Provider>(root, "providers", ReadProvider, config.mutable_providers()));
  GW_RETURN_IF_ERROR(ReadSection<cfg::Model>(root, "models", ReadModel, config.mutable_models()));
  GW_RETURN_IF_ERROR(ReadSection<cfg::Route>(root, "routes", ReadRoute, config.mutable_routes()));
  GW_RETURN_IF_ERROR(
      ReadSection<cfg::ModelPrice>(root, "pricing", ReadPrice, config.mutable_prices()));
  return config;
}

// Plain scalars that a YAML reader would type as something other than a string.
bool NeedsQuotes(const std::string& text) {
  if (text.empty()) return true;
  const std::string lower = absl::AsciiStrToLower(text);
  for (absl::string_view word :
       {"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"}) {
    if (lower == word) return true;
  }
  double number = 0;
  return absl::SimpleAtod(text, &number) || text.front() == ' ' || text.back() == ' ';
}

void EmitString(YAML::Emitter& out, const std::string& text) {
  if (NeedsQuotes(text)) out << YAML::DoubleQuoted;
  out << text;
}

void EmitKeyString(YAML::Emitter& out, absl::string_view key, const std::string& value) {
  out << YAML::Key << std::string(key) << YAML::Value;
  EmitString(out, value);
}

void EmitKeyList(YAML::Emitter& out, absl::string_view key,
                 const google::protobuf::RepeatedPtrField<std::string>& values) {
  out << YAML::Key << std::string(key) << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const std::string& value : values) EmitString(out, value);
  out << YAML::EndSeq;
}

void EmitKeyUsd(YAML::Emitter& out, absl::string_view key, int64_t micro_usd) {
  out << YAML::Key << std::string(key) << YAML::Value << YAML::DoubleQuoted
      << FormatUsdCompact(micro_usd);
}

void EmitTeam(YAML::Emitter& out, const cfg::Team& team) {
  out << YAML::BeginMap;
  EmitKeyString(out, "name", team.name());
  out << YAML::Key << "tier" << YAML::Value << TierName(team.tier());
  if (!team.allowed_models().empty()) EmitKeyList(out, "allowed_models", team.allowed_models());
  const std::pair<absl::string_view, const google::protobuf::Int64Value*> limits[] = {
      {"max_tokens_per_request",
       team.has_max_tokens_per_request() ? &team.max_tokens_per_request() : nullptr},
      {"rpm", team.has_rpm() ? &team.rpm() : nullptr},
      {"tpm", team.has_tpm() ? &team.tpm() : nullptr},
      {"max_concurrent", team.has_max_concurrent() ? &team.max_concurrent() : nullptr}};
  for (const auto& [key, field] : limits) {
    if (field != nullptr) out << YAML::Key << std::string(key) << YAML::Value << field->value();
  }
  if (team.has_monthly_budget_micro_usd()) {
    EmitKeyUsd(out, "monthly_budget_usd", team.monthly_budget_micro_usd().value());
  }
  if (team.guardrail_level() != cfg::GUARDRAIL_LEVEL_UNSPECIFIED &&
      team.guardrail_level() != cfg::GUARDRAIL_LEVEL_STANDARD) {
    out << YAML::Key << "guardrail_level" << YAML::Value
        << GuardrailLevelName(team.guardrail_level());
  }
  out << YAML::EndMap;
}

void EmitProvider(YAML::Emitter& out, const cfg::Provider& provider) {
  out << YAML::BeginMap;
  EmitKeyString(out, "name", provider.name());
  out << YAML::Key << "type" << YAML::Value << ProviderTypeName(provider.type());
  if (!provider.base_url().empty()) EmitKeyString(out, "base_url", provider.base_url());
  if (!provider.credential_ref().empty()) {
    EmitKeyString(out, "credential_ref", provider.credential_ref());
  }
  out << YAML::EndMap;
}

void EmitModel(YAML::Emitter& out, const cfg::Model& model) {
  out << YAML::BeginMap;
  EmitKeyString(out, "name", model.name());
  EmitKeyString(out, "provider", model.provider());
  if (!model.upstream_model().empty()) {
    EmitKeyString(out, "upstream_model", model.upstream_model());
  }
  if (!model.capabilities().empty()) EmitKeyList(out, "capabilities", model.capabilities());
  if (model.context_window() != 0) {
    out << YAML::Key << "context_window" << YAML::Value << model.context_window();
  }
  out << YAML::EndMap;
}

void EmitRoute(YAML::Emitter& out, const cfg::Route& route) {
  out << YAML::BeginMap;
  EmitKeyString(out, "task", route.task());
  EmitKeyString(out, "primary", route.primary());
  if (!route.fallbacks().empty()) EmitKeyList(out, "fallbacks", route.fallbacks());
  out << YAML::Key << "strategy" << YAML::Value << RoutingStrategyName(route.strategy());
  out << YAML::EndMap;
}

void EmitPrice(YAML::Emitter& out, const cfg::ModelPrice& price) {
  out << YAML::BeginMap;
  EmitKeyString(out, "model", price.model());
  EmitKeyUsd(out, "input_usd_per_mtok", price.input_micro_usd_per_mtok());
  EmitKeyUsd(out, "cached_input_usd_per_mtok", price.cached_input_micro_usd_per_mtok());
  EmitKeyUsd(out, "output_usd_per_mtok", price.output_micro_usd_per_mtok());
  out << YAML::EndMap;
}

template <typename Message>
void EmitSection(YAML::Emitter& out, absl::string_view key,
                 const google::protobuf::RepeatedPtrField<Message>& items,
                 void (*emit)(YAML::Emitter&, const Message&)) {
  out << YAML::Key << std::string(key) << YAML::Value;
  if (items.empty()) {
    out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
    return;
  }
  out << YAML::BeginSeq;
  for (const Message& item : items) emit(out, item);
  out << YAML::EndSeq;
}

}  // namespace

std::string FormatUsdCompact(int64_t micro_usd) {
  std::string text = FormatMicroUsd(micro_usd);
  // "2.500000" -> "2.50": keep two decimals, drop only zeros beyond them.
  const size_t dot = text.find('.');
  while (text.size() > dot + 3 && text.back() == '0') text.pop_back();
  return text;
}

absl::StatusOr<cfg::GatewayConfig> ParseGatewayYaml(absl::string_view yaml_text) {
  try {
    const std::vector<YAML::Node> documents = YAML::LoadAll(std::string(yaml_text));
    if (documents.size() > 1) {
      return absl::InvalidArgumentError("expected one YAML document, found several");
    }
    return ParseDocument(documents.empty() ? YAML::Node() : documents.front());
  } catch (const YAML::Exception& e) {
    // e.msg lacks the position that what() prepends; keep our own "line N:" form.
    if (e.mark.is_null()) return absl::InvalidArgumentError(e.msg);
    return absl::InvalidArgumentError(
        absl::StrCat("line ", e.mark.line + 1, ", column ", e.mark.column + 1, ": ", e.msg));
  }
}

absl::StatusOr<std::string> EmitGatewayYaml(const cfg::GatewayConfig& config) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  EmitSection(out, "teams", config.teams(), &EmitTeam);
  EmitSection(out, "providers", config.providers(), &EmitProvider);
  EmitSection(out, "models", config.models(), &EmitModel);
  EmitSection(out, "routes", config.routes(), &EmitRoute);
  EmitSection(out, "pricing", config.prices(), &EmitPrice);
  out << YAML::EndMap;
  if (!out.good()) return absl::InternalError(absl::StrCat("YAML emitter: ", out.GetLastError()));
  return absl::StrCat(out.c_str(), "\n");
}

}  // namespace gw::cli
