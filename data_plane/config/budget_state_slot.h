// The latest budget and spend state pushed by the control plane. It travels outside the config
// version, so it has its own slot: the newest sequence wins, an older or repeated one is dropped.
//   slot.Offer(std::move(state));  std::shared_ptr<const BudgetState> s = slot.Load();
#pragma once

#include <atomic>
#include <memory>

#include "gateway/config/v1/config.pb.h"

namespace gw::dp {

class BudgetStateSlot {
 public:
  // True when `state` replaced the held one (its sequence is newer).
  bool Offer(gateway::config::v1::BudgetState state);

  // nullptr until the first state arrives.
  std::shared_ptr<const gateway::config::v1::BudgetState> Load() const {
    return current_.load(std::memory_order_acquire);
  }

 private:
  std::atomic<std::shared_ptr<const gateway::config::v1::BudgetState>> current_;
};

}  // namespace gw::dp
