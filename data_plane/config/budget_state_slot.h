// The latest budget and spend state pushed by the control plane. It travels outside the config
// version, so it has its own slot: the newest sequence wins, an older or repeated one is dropped.
//   slot.Offer(std::move(state));  std::shared_ptr<const BudgetState> s = slot.Load();
#pragma once

#include <memory>
#include <mutex>

#include "data_plane/config/shared_slot.h"
#include "gateway/config/v1/config.pb.h"

namespace gw::dp {

class BudgetStateSlot {
 public:
  // True when `state` replaced the held one (its sequence is newer).
  bool Offer(gateway::config::v1::BudgetState state);

  // nullptr until the first state arrives. Request paths use a Reader on slot().
  std::shared_ptr<const gateway::config::v1::BudgetState> Load() const { return slot_.Load(); }

  const SharedSlot<gateway::config::v1::BudgetState>& slot() const { return slot_; }

 private:
  std::mutex offer_mu_;  // Makes the compare-and-replace of Offer atomic; readers never take it.
  SharedSlot<gateway::config::v1::BudgetState> slot_;
};

}  // namespace gw::dp
