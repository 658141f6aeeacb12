#include "data_plane/stages/usage/usage_cost.h"

#include <algorithm>
#include <limits>

namespace gw::dp {
namespace {

constexpr int64_t kSaturated = std::numeric_limits<int64_t>::max();

// tokens x price added to `sum`; false on overflow.
bool AddProduct(int64_t tokens, int64_t price, int64_t& sum) {
  int64_t product = 0;
  if (__builtin_mul_overflow(std::max<int64_t>(tokens, 0), std::max<int64_t>(price, 0), &product)) {
    return false;
  }
  return !__builtin_add_overflow(sum, product, &sum);
}

}  // namespace

int64_t UsageCostPicoUsd(const TokenCounts& tokens, const gateway::config::v1::ModelPrice& price) {
  const int64_t input = std::max<int64_t>(tokens.input, 0);
  const int64_t cached = std::clamp<int64_t>(tokens.cached_input, 0, input);
  int64_t cost = 0;
  if (!AddProduct(input - cached, price.input_micro_usd_per_mtok(), cost) ||
      !AddProduct(cached, price.cached_input_micro_usd_per_mtok(), cost) ||
      !AddProduct(tokens.output, price.output_micro_usd_per_mtok(), cost)) {
    return kSaturated;
  }
  return cost;
}

}  // namespace gw::dp
