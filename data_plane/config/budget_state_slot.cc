#include "data_plane/config/budget_state_slot.h"

#include <utility>

namespace gw::dp {

bool BudgetStateSlot::Offer(gateway::config::v1::BudgetState state) {
  auto next = std::make_shared<const gateway::config::v1::BudgetState>(std::move(state));
  std::shared_ptr<const gateway::config::v1::BudgetState> held =
      current_.load(std::memory_order_acquire);
  // A CAS loop rather than a lock, so that a reader never waits on a writer.
  do {
    if (held != nullptr && held->sequence() >= next->sequence()) return false;
  } while (!current_.compare_exchange_weak(held, next, std::memory_order_acq_rel,
                                           std::memory_order_acquire));
  return true;
}

}  // namespace gw::dp
