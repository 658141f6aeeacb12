#include "control_plane/usage/spend_tracker.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/container/btree_map.h"
#include "common/status_macros.h"
#include "control_plane/usage/usage_time.h"

namespace gw::cp {
namespace {

namespace cfg = gateway::config::v1;

// Per team and hour, not per team: a month's sum could overflow in SQL before the saturating
// addition here sees it, an hour's cannot in practice.
constexpr char kLoadSpend[] =
    "SELECT team, hour_start, SUM(cost_pico_usd) FROM usage_rollups_hourly "
    "WHERE hour_start >= ?1 GROUP BY team, hour_start";

void AddSaturating(int64_t& sum, int64_t value) {
  if (__builtin_add_overflow(sum, value, &sum)) sum = std::numeric_limits<int64_t>::max();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SpendTracker>> SpendTracker::Start(Database& db,
                                                                  SnapshotSource snapshot,
                                                                  BudgetSink sink,
                                                                  Options options) {
  const int64_t month = MonthStartMicros(options.now());
  std::map<int64_t, TeamSpend> spend_by_month;
  {
    std::unique_lock lock = db.Lock();
    GW_ASSIGN_OR_RETURN(Statement load, db.Prepare(kLoadSpend));
    GW_RETURN_IF_ERROR(load.Bind(month));
    while (true) {
      GW_ASSIGN_OR_RETURN(const bool row, load.Step());
      if (!row) break;
      AddSaturating(spend_by_month[MonthStartMicros(load.ColumnInt64(1))][load.ColumnText(0)],
                    load.ColumnInt64(2));
    }
  }
  return std::unique_ptr<SpendTracker>(new SpendTracker(
      std::move(snapshot), std::move(sink), std::move(options), std::move(spend_by_month)));
}

SpendTracker::SpendTracker(SnapshotSource snapshot, BudgetSink sink, Options options,
                           std::map<int64_t, TeamSpend> spend_by_month)
    : snapshot_(std::move(snapshot)),
      sink_(std::move(sink)),
      options_(std::move(options)),
      spend_by_month_(std::move(spend_by_month)),
      current_month_(MonthStartMicros(options_.now())),
      thread_([this] { Run(); }) {}

SpendTracker::~SpendTracker() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  changed_.notify_one();
  thread_.join();
}

void SpendTracker::AddCost(const std::vector<TeamHourCost>& new_cost) {
  {
    std::lock_guard lock(mu_);
    RollOverLocked();
    for (const TeamHourCost& cost : new_cost) {
      const int64_t month = MonthStartMicros(cost.hour_start);
      if (month < current_month_) continue;
      AddSaturating(spend_by_month_[month][cost.team], cost.cost_pico_usd);
      dirty_ = true;
    }
  }
  changed_.notify_one();
}

void SpendTracker::OnConfigChanged() {
  {
    std::lock_guard lock(mu_);
    dirty_ = true;
  }
  changed_.notify_one();
}

int64_t SpendTracker::SpendOf(const std::string& team) const {
  std::lock_guard lock(mu_);
  const auto month = spend_by_month_.find(MonthStartMicros(options_.now()));
  if (month == spend_by_month_.end()) return 0;
  const auto spend = month->second.find(team);
  return spend == month->second.end() ? 0 : spend->second;
}

int64_t SpendTracker::published_states() const {
  std::lock_guard lock(mu_);
  return published_states_;
}

void SpendTracker::RollOverLocked() {
  const int64_t month = MonthStartMicros(options_.now());
  if (month == current_month_) return;
  current_month_ = month;
  spend_by_month_.erase(spend_by_month_.begin(), spend_by_month_.lower_bound(month));
  dirty_ = true;
}

void SpendTracker::Run() {
  absl::Time last_publish = absl::InfinitePast();
  while (true) {
    TeamSpend spend;
    int64_t month = 0;
    {
      std::unique_lock lock(mu_);
      while (true) {
        if (stopping_) return;
        RollOverLocked();
        const absl::Time now = absl::Now();
        if (dirty_ && now >= last_publish + options_.min_interval) break;
        // Waiting for the window to pass (dirty) or for anything to change (not dirty); either
        // way, no later than the next check of the budget period.
        const absl::Time deadline = dirty_ ? std::min(last_publish + options_.min_interval,
                                                      now + options_.period_check_interval)
                                           : now + options_.period_check_interval;
        const bool was_dirty = dirty_;
        changed_.wait_for(lock, absl::ToChronoNanoseconds(deadline - now),
                          [&] { return stopping_ || (!was_dirty && dirty_); });
      }
      dirty_ = false;
      month = current_month_;
      const auto found = spend_by_month_.find(month);
      if (found != spend_by_month_.end()) spend = found->second;
    }
    const cfg::BudgetState state = BuildState(spend, month);
    // The sink runs without the lock, so AddCost never waits for a publication.
    sink_(state);
    last_publish = absl::Now();
    std::lock_guard lock(mu_);
    ++published_states_;
  }
}

cfg::BudgetState SpendTracker::BuildState(const TeamSpend& spend, int64_t month_start) {
  cfg::BudgetState state;
  const absl::Time now = absl::Now();
  last_sequence_ = std::max(last_sequence_ + 1, absl::ToUnixMicros(now));
  state.set_sequence(last_sequence_);
  *state.mutable_computed_at() = TimestampFromMicros(absl::ToUnixMicros(now));

  // Every team with spend this month or in the configuration, sorted by name.
  absl::btree_map<std::string, cfg::TeamSpend> teams;
  const std::string period = PeriodName(month_start);
  for (const auto& [team, pico] : spend) {
    cfg::TeamSpend& entry = teams[team];
    entry.set_team(team);
    entry.set_spend_pico_usd(pico);
  }
  if (const std::shared_ptr<const cfg::Snapshot> snapshot = snapshot_ ? snapshot_() : nullptr) {
    for (const cfg::Team& team : snapshot->config().teams()) {
      cfg::TeamSpend& entry = teams[team.name()];
      entry.set_team(team.name());
      if (team.has_monthly_budget_micro_usd()) {
        entry.set_budget_micro_usd(team.monthly_budget_micro_usd().value());
      }
    }
  }
  for (auto& [name, entry] : teams) {
    entry.set_period(period);
    *state.add_teams() = std::move(entry);
  }
  return state;
}

}  // namespace gw::cp
