// The `gwctl apply -f` / `gwctl export` file format: YAML <-> gateway.config.v1.GatewayConfig.
// The schema is documented with a full example in docs/gateway-yaml.md.
//   GW_ASSIGN_OR_RETURN(GatewayConfig config, ParseGatewayYaml(file_text));
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/config/v1/config.pb.h"

namespace gw::cli {

// Parses a gateway YAML document. Unknown keys, wrong types, bad enum names and inexact money
// are INVALID_ARGUMENT naming the line and path ("line 7: teams[1].rpmm: unknown key ...").
// Omitted enums become their defaults (tier standard, guardrail level standard, strategy
// fallback); an omitted cached input price is the input price; unset team limits stay unset.
absl::StatusOr<gateway::config::v1::GatewayConfig> ParseGatewayYaml(absl::string_view yaml_text);

// Writes `config` in the same schema: the tier always, other team values only when set, money
// as quoted decimal USD strings, enums by their lower-case names.
absl::StatusOr<std::string> EmitGatewayYaml(const gateway::config::v1::GatewayConfig& config);

// Micro-USD as a decimal USD string with at least 2 and at most 6 decimals: 2500000 -> "2.50",
// 1 -> "0.000001". ParseUsdToMicro reads it back exactly.
std::string FormatUsdCompact(int64_t micro_usd);

}  // namespace gw::cli
