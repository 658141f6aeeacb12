// Token counts a provider reported for one call, in the units prices are quoted in (CONTRACTS:
// input, cached input, output tokens). `reported` is false when the provider sent no usage, so
// settlement can tell "zero tokens" from "unknown".
#pragma once

#include <cstdint>

namespace gw::dp {

struct TokenUsage {
  bool reported = false;
  int64_t prompt_tokens = 0;         // All input tokens, cached ones included.
  int64_t cached_prompt_tokens = 0;  // The part of prompt_tokens served from the prompt cache.
  int64_t completion_tokens = 0;
  int64_t total_tokens = 0;
};

}  // namespace gw::dp
