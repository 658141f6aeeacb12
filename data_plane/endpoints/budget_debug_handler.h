// GET /debug/budget: the budget and spend state this worker currently holds (what the control
// plane last pushed on the config stream), for operators checking that spend reaches workers.
// Read-only and guarded by the worker token (`Authorization: Bearer <worker token>`), which
// operators already hold and applications never do; gateway keys get 401.
//   {"sequence": N, "computed_at": "2026-11-25T21:00:00Z", "teams": [{"team", "period",
//    "spend_pico_usd", "budget_micro_usd"}]}     (sequence 0, no teams: nothing received yet)
#pragma once

#include <string>
#include <utility>

#include "data_plane/config/budget_state_slot.h"
#include "data_plane/pipeline/handler.h"

namespace gw::dp {

class BudgetDebugHandler final : public Handler {
 public:
  // `budget_state` must outlive the handler; `worker_token` must not be empty.
  BudgetDebugHandler(const BudgetStateSlot* budget_state, std::string worker_token)
      : budget_state_(budget_state), worker_token_(std::move(worker_token)) {}

  boost::asio::awaitable<void> Handle(RequestContext& ctx) const override;

 private:
  const BudgetStateSlot* const budget_state_;
  const std::string worker_token_;
};

}  // namespace gw::dp
