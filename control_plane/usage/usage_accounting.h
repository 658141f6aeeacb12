// Usage accounting in the control plane, as one object: ingestion (UsageIngestor), the
// UsageReporting gRPC service and the spend state pushed to workers (SpendTracker).
//   auto usage = UsageAccounting::Start(store.database(), auth, [&] { return store.Current(); },
//                                       [&](const BudgetState& s) {
//                                       discovery.PublishBudgetState(s); });
//   builder.RegisterService((*usage)->service());
//   store.AddVersionListener([&](int64_t) { (*usage)->OnConfigChanged(); });
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "control_plane/auth/token_auth.h"
#include "control_plane/store/database.h"
#include "control_plane/usage/spend_tracker.h"
#include "control_plane/usage/usage_ingestor.h"
#include "control_plane/usage/usage_reporting_service.h"

namespace gw::cp {

class UsageAccounting {
 public:
  struct Options {
    UsageIngestor::Options ingestor;
    SpendTracker::Options spend;
  };

  // `db` (with the usage schema), `auth`, and whatever `snapshot` and `budget_sink` call must
  // outlive the returned object; so must it the gRPC server its service is registered with.
  static absl::StatusOr<std::unique_ptr<UsageAccounting>> Start(
      Database& db, const TokenAuth& auth, SpendTracker::SnapshotSource snapshot,
      SpendTracker::BudgetSink budget_sink, Options options);
  static absl::StatusOr<std::unique_ptr<UsageAccounting>> Start(
      Database& db, const TokenAuth& auth, SpendTracker::SnapshotSource snapshot,
      SpendTracker::BudgetSink budget_sink) {
    return Start(db, auth, std::move(snapshot), std::move(budget_sink), Options());
  }

  UsageReportingService* service() { return service_.get(); }
  UsageIngestor& ingestor() { return *ingestor_; }
  SpendTracker& spend() { return *spend_; }

  // Budgets may have changed (a new config version): the next budget state carries them.
  void OnConfigChanged() { spend_->OnConfigChanged(); }
  // See UsageReportingService::CloseStreams.
  void CloseStreams() { service_->CloseStreams(); }

 private:
  UsageAccounting() = default;

  // Destroyed in reverse: the service, then the ingestor (storing what is queued and reporting
  // its cost), then the tracker it reports to.
  std::unique_ptr<SpendTracker> spend_;
  std::unique_ptr<UsageIngestor> ingestor_;
  std::unique_ptr<UsageReportingService> service_;
};

}  // namespace gw::cp
