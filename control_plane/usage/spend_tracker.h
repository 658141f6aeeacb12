// Each team's spend in the current UTC calendar month, kept in memory and handed to the workers
// as BudgetState (with the teams' monthly budgets) whenever it changes, coalesced.
//   auto spend = SpendTracker::Start(db, [&] { return store.Current(); },
//                                    [&](const BudgetState& s) { discovery.PublishBudgetState(s);
//                                    });
//   ingestor listener: (*spend)->AddCost(new_cost);   config listener: (*spend)->OnConfigChanged();
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "control_plane/store/database.h"
#include "control_plane/usage/usage_writer.h"
#include "gateway/config/v1/config.pb.h"

namespace gw::cp {

// Thread-safe. A background thread publishes: the first state right after Start, then at most
// one state per `min_interval` while costs or budgets change, and a fresh state (spend reset)
// within `period_check_interval` of a new UTC month.
//
// BudgetState.sequence is max(previous + 1, unix microseconds now), so it keeps increasing
// across control-plane restarts and workers never ignore a restarted control plane's states.
// Spend sums saturate at INT64_MAX pico-USD (about $9.2M) instead of wrapping.
class SpendTracker {
 public:
  using SnapshotSource = std::function<std::shared_ptr<const gateway::config::v1::Snapshot>()>;
  using BudgetSink = std::function<void(const gateway::config::v1::BudgetState&)>;

  struct Options {
    // Coalescing window: a stream of commits costs at most one state per window.
    absl::Duration min_interval = absl::Milliseconds(100);
    // How often the budget period is re-checked while nothing else happens.
    absl::Duration period_check_interval = absl::Seconds(1);
    // The clock deciding the budget period; tests substitute a fake one.
    std::function<absl::Time()> now = [] { return absl::Now(); };
  };

  // Loads the current month's (and any later month's) spend per team from the hourly rollups,
  // then starts publishing. `db` is read only here. `snapshot` gives the budgets (the current
  // config) and `sink` receives each state on the tracker's thread; both must outlive it.
  static absl::StatusOr<std::unique_ptr<SpendTracker>> Start(Database& db, SnapshotSource snapshot,
                                                             BudgetSink sink, Options options);
  ~SpendTracker();

  SpendTracker(const SpendTracker&) = delete;
  SpendTracker& operator=(const SpendTracker&) = delete;

  // Adds committed cost. Cost of months before the current one is ignored (that period is over).
  void AddCost(const std::vector<TeamHourCost>& new_cost);
  // Budgets may have changed: publish a state with the new ones.
  void OnConfigChanged();

  // The current month's spend of `team` in pico-USD as it stands now (published or not).
  int64_t SpendOf(const std::string& team) const;
  // States handed to the sink so far.
  int64_t published_states() const;

 private:
  using TeamSpend = absl::flat_hash_map<std::string, int64_t>;

  SpendTracker(SnapshotSource snapshot, BudgetSink sink, Options options,
               std::map<int64_t, TeamSpend> spend_by_month);
  void Run();
  // Moves to the month of now() when it changed, dropping months that are over.
  void RollOverLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Tracker thread only (it advances the sequence).
  gateway::config::v1::BudgetState BuildState(const TeamSpend& spend, int64_t month_start);

  const SnapshotSource snapshot_;
  const BudgetSink sink_;
  const Options options_;

  // std:: rather than absl::Mutex: Debian's abseil is not built for ThreadSanitizer.
  mutable std::mutex mu_;
  std::condition_variable changed_;
  // Month start (unix microseconds) -> team -> pico-USD. Holds the current month and any later
  // month a worker with a fast clock reported into.
  std::map<int64_t, TeamSpend> spend_by_month_ ABSL_GUARDED_BY(mu_);
  int64_t current_month_ ABSL_GUARDED_BY(mu_) = 0;
  bool dirty_ ABSL_GUARDED_BY(mu_) = true;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t published_states_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t last_sequence_ = 0;  // Tracker thread only.

  std::thread thread_;  // Last: started once everything above is ready.
};

}  // namespace gw::cp
