// What one request costs, in integer pico-USD, from the token counts and the public model's
// prices (micro-USD per 1M tokens, which is pico-USD per token: CONTRACTS.md "Money and time").
//   int64_t cost = UsageCostPicoUsd({.input = 1200, .cached_input = 1024, .output = 300}, price);
#pragma once

#include <cstdint>

#include "gateway/config/v1/config.pb.h"

namespace gw::dp {

// Token counts as OpenAI reports them: `input` is every prompt token (prompt_tokens), cached ones
// included; `cached_input` is the part of them served from the prompt cache
// (prompt_tokens_details.cached_tokens), a subset of `input`, not an addition to it.
struct TokenCounts {
  int64_t input = 0;
  int64_t cached_input = 0;
  int64_t output = 0;
};

// (input - cached_input) x input price + cached_input x cached price + output x output price,
// exact: each cached token is charged once, at the cached price. Negative counts count as zero,
// cached_input is capped at input, and a result beyond int64 saturates at its maximum (about
// $9.2M for one request) rather than wrapping.
int64_t UsageCostPicoUsd(const TokenCounts& tokens, const gateway::config::v1::ModelPrice& price);

}  // namespace gw::dp
