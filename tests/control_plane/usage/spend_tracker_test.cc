// The spend state workers receive: per-team spend of the current UTC month with each team's
// budget, published soon after ingestion, coalesced, reloaded after a restart and reset when a
// new month begins.
#include "control_plane/usage/spend_tracker.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/control_plane/usage/usage_test_env.h"

namespace gw::testing {
namespace {

namespace cfg = gateway::config::v1;

// The TeamSpend of `team` in `state`, or nullopt.
std::optional<cfg::TeamSpend> Find(const cfg::BudgetState& state, const std::string& team) {
  for (const cfg::TeamSpend& entry : state.teams()) {
    if (entry.team() == team) return entry;
  }
  return std::nullopt;
}

int64_t SpendIn(const cfg::BudgetState& state, const std::string& team) {
  std::optional<cfg::TeamSpend> entry = Find(state, team);
  return entry.has_value() ? entry->spend_pico_usd() : 0;
}

void SetBudget(cp::ConfigStore& store, const std::string& team, std::optional<int64_t> micro) {
  absl::StatusOr<int64_t> version = store.MutateConfig([&](cfg::GatewayConfig& config) {
    cfg::Team* found = nullptr;
    for (cfg::Team& t : *config.mutable_teams()) {
      if (t.name() == team) found = &t;
    }
    if (found == nullptr) {
      found = config.add_teams();
      found->set_name(team);
    }
    if (micro.has_value()) {
      found->mutable_monthly_budget_micro_usd()->set_value(*micro);
    } else {
      found->clear_monthly_budget_micro_usd();
    }
    return absl::OkStatus();
  });
  ASSERT_TRUE(version.ok()) << version.status();
}

int64_t Now() { return absl::ToUnixMicros(absl::Now()); }

TEST(SpendTrackerTest, StateCarriesThisMonthsSpendPerTeamWithBudgets) {
  UsageTestServer server;
  SetBudget(server.store(), "search", 25'000'000);  // $25
  SetBudget(server.store(), "idle", std::nullopt);

  RecordSpec search;
  search.ts_micros = Now();
  search.cost_pico_usd = 1'000'000'000'001;
  RecordSpec ads = search;
  ads.team = "ads";
  ads.cost_pico_usd = 7;
  RecordSpec last_month = search;
  last_month.ts_micros = cp::MonthStartMicros(Now()) - 1;
  last_month.cost_pico_usd = 1'000'000;
  TestReporter reporter(server.channel(), kWorkerToken);
  ASSERT_TRUE(reporter
                  .Send(MakeBatch(1, {MakeRecord("s1", search), MakeRecord("s2", search),
                                      MakeRecord("a1", ads), MakeRecord("old", last_month)}))
                  .has_value());

  std::optional<cfg::BudgetState> state = server.WaitForState(
      [](const cfg::BudgetState& s) { return SpendIn(s, "search") == 2'000'000'000'002; });
  ASSERT_TRUE(state.has_value()) << "no state with the search team's spend";
  const std::string period = cp::PeriodName(Now());
  ASSERT_EQ(state->teams_size(), 3);  // Sorted by name: teams with spend or in the config.
  EXPECT_EQ(state->teams(0).team(), "ads");
  EXPECT_EQ(state->teams(0).spend_pico_usd(), 7);
  EXPECT_EQ(state->teams(0).budget_micro_usd(), 0);
  EXPECT_EQ(state->teams(1).team(), "idle");
  EXPECT_EQ(state->teams(1).spend_pico_usd(), 0);
  EXPECT_EQ(state->teams(2).team(), "search");
  EXPECT_EQ(state->teams(2).budget_micro_usd(), 25'000'000);
  for (const cfg::TeamSpend& entry : state->teams()) EXPECT_EQ(entry.period(), period);
  EXPECT_TRUE(state->has_computed_at());
  EXPECT_EQ(server.usage().spend().SpendOf("search"), 2'000'000'000'002);
}

TEST(SpendTrackerTest, StateFollowsIngestionWithinASecondAndIsCoalesced) {
  // The production window (100 ms), not the tests' shorter one.
  UsageTestServer server(cp::UsageAccounting::Options{});
  TestReporter reporter(server.channel(), kWorkerToken);
  RecordSpec spec;
  spec.ts_micros = Now();
  spec.cost_pico_usd = 3;
  ASSERT_TRUE(reporter.Send(MakeBatch(1, {MakeRecord("first", spec)})).has_value());
  const absl::Time acked = absl::Now();
  ASSERT_TRUE(
      server.WaitForState([](const cfg::BudgetState& s) { return SpendIn(s, "search") == 3; })
          .has_value());
  EXPECT_LT(absl::Now() - acked, absl::Seconds(1));

  const size_t states_before = server.States().size();
  const absl::Time start = absl::Now();
  for (int b = 0; b < 60; ++b) {
    ASSERT_TRUE(reporter.Send(MakeBatch(100 + b, {MakeRecord(absl::StrCat("burst-", b), spec)}))
                    .has_value());
  }
  const absl::Time end = absl::Now();
  ASSERT_TRUE(
      server.WaitForState([](const cfg::BudgetState& s) { return SpendIn(s, "search") == 3 * 61; })
          .has_value());
  const int64_t windows = (end - start) / absl::Milliseconds(100);
  // One state per 100 ms window at most (plus the windows at either end), not one per batch.
  EXPECT_LE(static_cast<int64_t>(server.States().size() - states_before), windows + 3)
      << "60 batches in " << absl::FormatDuration(end - start);

  std::vector<cfg::BudgetState> states = server.States();
  for (size_t i = 1; i < states.size(); ++i) {
    EXPECT_GT(states[i].sequence(), states[i - 1].sequence());
  }
}

TEST(SpendTrackerTest, RestartReloadsTheMonthFromRollupsAndKeepsSequenceGrowing) {
  UsageTestServer server;
  RecordSpec spec;
  spec.ts_micros = Now();
  spec.cost_pico_usd = 123'456'789;
  {
    TestReporter reporter(server.channel(), kWorkerToken);
    ASSERT_TRUE(
        reporter.Send(MakeBatch(1, {MakeRecord("x", spec), MakeRecord("y", spec)})).has_value());
  }
  std::optional<cfg::BudgetState> before = server.WaitForState(
      [](const cfg::BudgetState& s) { return SpendIn(s, "search") == 246'913'578; });
  ASSERT_TRUE(before.has_value());

  server.Restart();
  std::optional<cfg::BudgetState> after = server.WaitForState(
      [&](const cfg::BudgetState& s) { return s.sequence() > before->sequence(); });
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(SpendIn(*after, "search"), 246'913'578);
}

TEST(SpendTrackerTest, BudgetChangeIsPublished) {
  UsageTestServer server;
  SetBudget(server.store(), "search", 1'000'000);
  ASSERT_TRUE(server
                  .WaitForState([](const cfg::BudgetState& s) {
                    auto e = Find(s, "search");
                    return e.has_value() && e->budget_micro_usd() == 1'000'000;
                  })
                  .has_value());
  SetBudget(server.store(), "search", 5'000'000);
  EXPECT_TRUE(server
                  .WaitForState([](const cfg::BudgetState& s) {
                    auto e = Find(s, "search");
                    return e.has_value() && e->budget_micro_usd() == 5'000'000;
                  })
                  .has_value());
}

// A clock the test moves by hand.
class FakeClock {
 public:
  explicit FakeClock(absl::Time t) : now_(t) {}
  absl::Time Now() const {
    std::lock_guard lock(mu_);
    return now_;
  }
  void Set(absl::Time t) {
    std::lock_guard lock(mu_);
    now_ = t;
  }

 private:
  mutable std::mutex mu_;
  absl::Time now_;
};

TEST(SpendTrackerTest, NewMonthStartsFromZeroAndKeepsEarlyArrivals) {
  TempDir dir;
  auto store = cp::ConfigStore::Open(dir.File("gateway.db"));
  ASSERT_TRUE(store.ok()) << store.status();
  const absl::Time march_end =
      absl::FromCivil(absl::CivilSecond(2026, 3, 31, 23, 59, 0), absl::UTCTimeZone());
  const int64_t march_hour = cp::HourStartMicros(absl::ToUnixMicros(march_end));
  const int64_t april_hour = march_hour + cp::kMicrosPerHour;
  FakeClock clock(march_end);

  std::mutex mu;
  std::condition_variable published;
  std::vector<cfg::BudgetState> states;
  cp::SpendTracker::Options options;
  options.min_interval = absl::Milliseconds(5);
  options.period_check_interval = absl::Milliseconds(20);
  options.now = [&clock] { return clock.Now(); };
  auto tracker = cp::SpendTracker::Start((*store)->database(), [&] { return (*store)->Current(); },
                                         [&](const cfg::BudgetState& s) {
                                           {
                                             std::lock_guard lock(mu);
                                             states.push_back(s);
                                           }
                                           published.notify_all();
                                         },
                                         options);
  ASSERT_TRUE(tracker.ok()) << tracker.status();
  auto wait_for = [&](const std::function<bool(const cfg::BudgetState&)>& ok) {
    std::unique_lock lock(mu);
    return published.wait_for(lock, std::chrono::seconds(5),
                              [&] { return !states.empty() && ok(states.back()); });
  };

  (*tracker)->AddCost({{"search", march_hour, 500}, {"search", april_hour, 70}});
  ASSERT_TRUE(wait_for([](const cfg::BudgetState& s) {
    return s.teams_size() == 1 && s.teams(0).period() == "2026-03" &&
           s.teams(0).spend_pico_usd() == 500;
  }));

  clock.Set(march_end + absl::Minutes(2));  // 2026-04-01T00:01Z
  EXPECT_TRUE(wait_for([](const cfg::BudgetState& s) {
    return s.teams_size() == 1 && s.teams(0).period() == "2026-04" &&
           s.teams(0).spend_pico_usd() == 70;
  }));
  // A late March record no longer counts toward the budget.
  (*tracker)->AddCost({{"search", march_hour, 1'000}, {"search", april_hour, 1}});
  EXPECT_TRUE(wait_for([](const cfg::BudgetState& s) {
    return s.teams_size() == 1 && s.teams(0).spend_pico_usd() == 71;
  }));
  EXPECT_EQ((*tracker)->SpendOf("search"), 71);
}

}  // namespace
}  // namespace gw::testing
