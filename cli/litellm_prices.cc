#include "cli/litellm_prices.h"

#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "boost/json.hpp"
#include "common/money.h"

namespace gw::cli {
namespace {

namespace adminpb = gateway::admin::v1;
namespace json = boost::json;

// A JSON number as a double; nullopt for anything else. LiteLLM writes 0 for free models, which
// Boost.JSON parses as an integer.
std::optional<double> NumberOf(const json::value& value) {
  if (value.is_double()) return value.get_double();
  if (value.is_int64()) return static_cast<double>(value.get_int64());
  if (value.is_uint64()) return static_cast<double>(value.get_uint64());
  return std::nullopt;
}

// Reads `field` as a price; returns nullopt with `reason` set when absent or not a valid price.
std::optional<int64_t> PriceField(const json::object& entry, absl::string_view field,
                                  std::string& reason) {
  const json::value* value = entry.if_contains(std::string_view(field.data(), field.size()));
  if (value == nullptr) {
    reason = absl::StrCat("no ", field);
    return std::nullopt;
  }
  const std::optional<double> number = NumberOf(*value);
  if (!number) {
    reason = absl::StrCat(field, " is not a number");
    return std::nullopt;
  }
  absl::StatusOr<int64_t> micro = PerTokenUsdToMicroPerMtok(*number);
  if (!micro.ok()) {
    reason = absl::StrCat(field, ": ", micro.status().message());
    return std::nullopt;
  }
  return *micro;
}

bool IsEmbedding(const json::object& entry) {
  const json::value* mode = entry.if_contains("mode");
  return mode != nullptr && mode->is_string() && mode->get_string() == "embedding";
}

std::string BareName(absl::string_view key) {
  const size_t slash = key.rfind('/');
  return std::string(slash == absl::string_view::npos ? key : key.substr(slash + 1));
}

}  // namespace

absl::StatusOr<LiteLlmPrices> ParseLiteLlmPrices(absl::string_view json_text) {
  json::error_code ec;
  json::value root = json::parse(std::string_view(json_text.data(), json_text.size()), ec);
  if (ec) {
    return absl::InvalidArgumentError(absl::StrCat("not valid JSON: ", ec.message()));
  }
  if (!root.is_object()) {
    return absl::InvalidArgumentError("expected a JSON object keyed by model name");
  }

  LiteLlmPrices result;
  absl::flat_hash_set<std::string> seen;
  for (const auto& [json_key, value] : root.get_object()) {
    const std::string key(json_key.data(), json_key.size());
    if (key == "sample_spec") continue;
    // The server refuses an upstream name priced twice; a repeated JSON key keeps its first.
    if (!seen.insert(key).second) continue;
    if (!value.is_object()) {
      result.skipped.push_back({key, "entry is not an object"});
      continue;
    }
    const json::object& entry = value.get_object();
    std::string reason;
    const std::optional<int64_t> input = PriceField(entry, "input_cost_per_token", reason);
    if (!input) {
      result.skipped.push_back({key, reason});
      continue;
    }
    std::optional<int64_t> output = PriceField(entry, "output_cost_per_token", reason);
    if (!output && IsEmbedding(entry) && !entry.contains("output_cost_per_token")) output = 0;
    if (!output) {
      result.skipped.push_back({key, reason});
      continue;
    }
    std::optional<int64_t> cached = *input;
    if (entry.contains("cache_read_input_token_cost")) {
      cached = PriceField(entry, "cache_read_input_token_cost", reason);
      if (!cached) {
        result.skipped.push_back({key, reason});
        continue;
      }
    }
    adminpb::UpstreamPrice price;
    price.set_upstream_model(key);
    price.set_input_micro_usd_per_mtok(*input);
    price.set_cached_input_micro_usd_per_mtok(*cached);
    price.set_output_micro_usd_per_mtok(*output);
    result.prices.push_back(std::move(price));
  }

  // Bare-name aliases for provider-prefixed keys, added only where unambiguous.
  absl::flat_hash_set<std::string> names;
  absl::flat_hash_map<std::string, int> prefixed_per_bare_name;
  for (const auto& price : result.prices) {
    names.insert(price.upstream_model());
    if (price.upstream_model().find('/') != std::string::npos) {
      ++prefixed_per_bare_name[BareName(price.upstream_model())];
    }
  }
  std::vector<adminpb::UpstreamPrice> aliases;
  for (const auto& price : result.prices) {
    if (price.upstream_model().find('/') == std::string::npos) continue;
    std::string bare = BareName(price.upstream_model());
    if (bare.empty() || names.contains(bare) || prefixed_per_bare_name[bare] != 1) continue;
    adminpb::UpstreamPrice alias = price;
    alias.set_upstream_model(std::move(bare));
    aliases.push_back(std::move(alias));
  }
  for (auto& alias : aliases) result.prices.push_back(std::move(alias));
  return result;
}

}  // namespace gw::cli
