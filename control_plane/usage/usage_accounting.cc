#include "control_plane/usage/usage_accounting.h"

#include <utility>

#include "common/status_macros.h"

namespace gw::cp {

absl::StatusOr<std::unique_ptr<UsageAccounting>> UsageAccounting::Start(
    Database& db, const TokenAuth& auth, SpendTracker::SnapshotSource snapshot,
    SpendTracker::BudgetSink budget_sink, Options options) {
  std::unique_ptr<UsageAccounting> usage(new UsageAccounting());
  // The tracker loads the spend before the ingestor can commit anything, so no cost is missed
  // or counted twice.
  GW_ASSIGN_OR_RETURN(usage->spend_, SpendTracker::Start(db, std::move(snapshot),
                                                         std::move(budget_sink), options.spend));
  SpendTracker* spend = usage->spend_.get();
  GW_ASSIGN_OR_RETURN(
      usage->ingestor_,
      UsageIngestor::Start(db, options.ingestor, [spend](const std::vector<TeamHourCost>& cost) {
        spend->AddCost(cost);
      }));
  usage->service_ = std::make_unique<UsageReportingService>(auth, *usage->ingestor_);
  return usage;
}

}  // namespace gw::cp
