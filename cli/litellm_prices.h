// Reads LiteLLM's model_prices_and_context_window.json into upstream prices for ImportPrices.
//   GW_ASSIGN_OR_RETURN(LiteLlmPrices prices, ParseLiteLlmPrices(file_text));
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/admin/v1/admin.pb.h"

namespace gw::cli {

struct SkippedEntry {
  std::string key;
  std::string reason;
};

struct LiteLlmPrices {
  // In file order; each upstream model name appears at most once.
  std::vector<gateway::admin::v1::UpstreamPrice> prices;
  std::vector<SkippedEntry> skipped;
};

// The file is one JSON object keyed by model name. An entry is priced when it has numeric
// `input_cost_per_token` and `output_cost_per_token` (an embedding entry, `"mode":
// "embedding"`, may omit the output price: it is 0); `cache_read_input_token_cost` is the cached
// input price, the input price when absent. `sample_spec` and entries without prices are
// skipped. Per-token USD floats become micro-USD per 1M tokens via PerTokenUsdToMicroPerMtok
// (shortest round-trip decimal, rounded half away from zero).
//
// Provider prefixes: a key such as "openai/gpt-4o" is sent under its full name and, as an alias,
// under the part after its last '/' ("gpt-4o") -- unless the file has an entry of that bare name
// (which wins) or several prefixed keys share the bare name (ambiguous: only the full names are
// sent). The server prices every public model whose upstream model name matches.
//
// INVALID_ARGUMENT when the text is not a JSON object.
absl::StatusOr<LiteLlmPrices> ParseLiteLlmPrices(absl::string_view json_text);

}  // namespace gw::cli
