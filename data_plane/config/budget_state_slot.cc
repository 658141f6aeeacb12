#include "data_plane/config/budget_state_slot.h"

#include <utility>

namespace gw::dp {

bool BudgetStateSlot::Offer(gateway::config::v1::BudgetState state) {
  std::lock_guard<std::mutex> lock(offer_mu_);
  const std::shared_ptr<const gateway::config::v1::BudgetState> held = slot_.Load();
  if (held != nullptr && held->sequence() >= state.sequence()) return false;
  slot_.Store(std::make_shared<const gateway::config::v1::BudgetState>(std::move(state)));
  return true;
}

}  // namespace gw::dp
