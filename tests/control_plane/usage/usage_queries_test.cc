// UsageQueries over stored usage: the latest records (gwctl usage) and spend by team, key,
// model and day over date ranges (gwctl spend), summed from the hourly rollups.
#include "control_plane/usage/usage_queries.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/control_plane/usage/usage_test_env.h"

namespace gw::testing {
namespace {

namespace admin = gateway::admin::v1;

constexpr int64_t kMinute = int64_t{60} * 1'000'000;

absl::Time At(int year, int month, int day, int hour = 0, int minute = 0, int second = 0) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, second),
                         absl::UTCTimeZone());
}

int64_t MicrosAt(int year, int month, int day, int hour = 0, int minute = 0, int second = 0) {
  return absl::ToUnixMicros(At(year, month, day, hour, minute, second));
}

class UsageQueriesTest : public ::testing::Test {
 protected:
  // Stores `records` through the ingestor and waits for the commit.
  void Store(std::vector<UsageRecord> records) {
    Signal done;
    absl::StatusOr<UsageAck> result;
    ASSERT_TRUE(server_.usage()
                    .ingestor()
                    .Submit(MakeBatch(++batch_id_, std::move(records)),
                            [&](absl::StatusOr<UsageAck> ack) {
                              result = std::move(ack);
                              done.Notify();
                            })
                    .ok());
    ASSERT_TRUE(done.WaitFor(absl::Seconds(10)));
    ASSERT_TRUE(result.ok()) << result.status();
  }

  UsageRecord Record(const std::string& id, const std::string& team, const std::string& key,
                     const std::string& model, int64_t ts, int64_t cost, int32_t status = 200) {
    RecordSpec spec;
    spec.team = team;
    spec.key_id = key;
    spec.model = model;
    spec.ts_micros = ts;
    spec.cost_pico_usd = cost;
    spec.status_code = status;
    return MakeRecord(id, spec);
  }

  // Queries as if it were `now`.
  absl::StatusOr<admin::GetSpendResponse> Spend(std::vector<admin::SpendGrouping> by,
                                                const std::string& from = "",
                                                const std::string& to = "",
                                                const std::string& team = "",
                                                absl::Time now = At(2026, 3, 20)) {
    admin::GetSpendRequest request;
    for (admin::SpendGrouping g : by) request.add_group_by(g);
    request.set_from(from);
    request.set_to(to);
    request.set_team(team);
    admin::GetSpendResponse response;
    cp::UsageQueries queries(server_.store().database(), [now] { return now; });
    absl::Status status = queries.GetSpend(request, response);
    if (!status.ok()) return status;
    return response;
  }

  absl::StatusOr<admin::ListUsageResponse> List(int32_t limit, const std::string& team = "") {
    admin::ListUsageRequest request;
    request.set_limit(limit);
    request.set_team(team);
    admin::ListUsageResponse response;
    absl::Status status = cp::UsageQueries(server_.store().database()).ListUsage(request, response);
    if (!status.ok()) return status;
    return response;
  }

  UsageTestServer server_;
  uint64_t batch_id_ = 0;
};

TEST_F(UsageQueriesTest, ListUsageIsNewestFirstWithEveryField) {
  std::vector<UsageRecord> records;
  for (int i = 0; i < 30; ++i) {
    records.push_back(Record(absl::StrCat("r", i), i % 2 == 0 ? "search" : "ads", "k", "m",
                             MicrosAt(2026, 3, 10) + i * kMinute, 1000 + i));
  }
  // Stored out of time order: the report orders by the record's time, not arrival.
  std::vector<UsageRecord> late(records.begin(), records.begin() + 10);
  records.erase(records.begin(), records.begin() + 10);
  Store(records);
  Store(late);

  absl::StatusOr<admin::ListUsageResponse> latest = List(0);
  ASSERT_TRUE(latest.ok()) << latest.status();
  ASSERT_EQ(latest->records_size(), 20);  // 0 means 20.
  for (int i = 0; i < 20; ++i) EXPECT_EQ(latest->records(i).record_id(), absl::StrCat("r", 29 - i));

  const UsageRecord& newest = latest->records(0);
  UsageRecord expected = Record("r29", "ads", "k", "m", MicrosAt(2026, 3, 10) + 29 * kMinute, 1029);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(newest, expected))
      << newest.DebugString() << "\nvs\n"
      << expected.DebugString();

  absl::StatusOr<admin::ListUsageResponse> three = List(3, "search");
  ASSERT_TRUE(three.ok()) << three.status();
  ASSERT_EQ(three->records_size(), 3);
  EXPECT_EQ(three->records(0).record_id(), "r28");
  EXPECT_EQ(three->records(1).record_id(), "r26");
  EXPECT_EQ(three->records(2).record_id(), "r24");

  absl::StatusOr<admin::ListUsageResponse> all = List(1000);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->records_size(), 30);
  absl::StatusOr<admin::ListUsageResponse> nobody = List(10, "no-such-team");
  ASSERT_TRUE(nobody.ok());
  EXPECT_EQ(nobody->records_size(), 0);
}

TEST_F(UsageQueriesTest, ListUsageRefusesBadLimits) {
  EXPECT_EQ(List(-1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(List(cp::UsageQueries::kMaxListLimit + 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(List(cp::UsageQueries::kMaxListLimit).ok());
}

TEST_F(UsageQueriesTest, SpendByDaySplitsAtUtcMidnight) {
  Store({
      Record("a", "search", "k1", "gpt-4o", MicrosAt(2026, 3, 10, 0, 0, 0), 100),
      Record("b", "search", "k1", "gpt-4o", MicrosAt(2026, 3, 10, 23, 59, 59) + 999'999, 200),
      Record("c", "search", "k1", "gpt-4o", MicrosAt(2026, 3, 11, 0, 0, 0), 400, 429),
      Record("d", "search", "k2", "claude", MicrosAt(2026, 3, 12, 12, 0, 0), 800, 502),
  });
  absl::StatusOr<admin::GetSpendResponse> spend = Spend({admin::SPEND_GROUPING_DAY});
  ASSERT_TRUE(spend.ok()) << spend.status();
  ASSERT_EQ(spend->rows_size(), 3);
  EXPECT_EQ(spend->rows(0).day(), "2026-03-10");
  EXPECT_EQ(spend->rows(0).requests(), 2);
  EXPECT_EQ(spend->rows(0).failed_requests(), 0);
  EXPECT_EQ(spend->rows(0).cost_pico_usd(), 300);
  EXPECT_EQ(spend->rows(0).input_tokens(), 200);
  EXPECT_EQ(spend->rows(0).cached_input_tokens(), 20);
  EXPECT_EQ(spend->rows(0).output_tokens(), 100);
  EXPECT_EQ(spend->rows(1).day(), "2026-03-11");
  EXPECT_EQ(spend->rows(1).failed_requests(), 1);
  EXPECT_EQ(spend->rows(1).cost_pico_usd(), 400);
  EXPECT_EQ(spend->rows(2).day(), "2026-03-12");
  // Only the asked-for grouping fields are set.
  EXPECT_EQ(spend->rows(2).team(), "");
  EXPECT_EQ(spend->rows(2).key_id(), "");
  EXPECT_EQ(spend->rows(2).model(), "");
}

TEST_F(UsageQueriesTest, SpendByModelKeyAndTeamSortedByTheGroupingFields) {
  const int64_t t = MicrosAt(2026, 3, 15, 9);
  Store({
      Record("1", "search", "k2", "gpt-4o", t, 1'000'000'000'001),
      Record("2", "search", "k1", "gpt-4o", t, 2),
      Record("3", "search", "k1", "claude", t + kMinute, 4),
      Record("4", "ads", "k9", "gpt-4o", t, 8),
      Record("5", "search", "k1", "claude", t + 90 * kMinute, 16),
  });
  absl::StatusOr<admin::GetSpendResponse> by_model = Spend({admin::SPEND_GROUPING_MODEL});
  ASSERT_TRUE(by_model.ok()) << by_model.status();
  ASSERT_EQ(by_model->rows_size(), 2);
  EXPECT_EQ(by_model->rows(0).model(), "claude");
  EXPECT_EQ(by_model->rows(0).requests(), 2);
  EXPECT_EQ(by_model->rows(0).cost_pico_usd(), 20);
  EXPECT_EQ(by_model->rows(1).model(), "gpt-4o");
  EXPECT_EQ(by_model->rows(1).cost_pico_usd(), 1'000'000'000'011);

  // The request's order of groupings does not change the row order: team, key, model, day.
  absl::StatusOr<admin::GetSpendResponse> by_key =
      Spend({admin::SPEND_GROUPING_KEY, admin::SPEND_GROUPING_TEAM, admin::SPEND_GROUPING_KEY});
  ASSERT_TRUE(by_key.ok()) << by_key.status();
  ASSERT_EQ(by_key->rows_size(), 3);
  EXPECT_EQ(by_key->rows(0).team(), "ads");
  EXPECT_EQ(by_key->rows(0).key_id(), "k9");
  EXPECT_EQ(by_key->rows(1).team(), "search");
  EXPECT_EQ(by_key->rows(1).key_id(), "k1");
  EXPECT_EQ(by_key->rows(1).requests(), 3);
  EXPECT_EQ(by_key->rows(1).cost_pico_usd(), 22);
  EXPECT_EQ(by_key->rows(2).key_id(), "k2");

  absl::StatusOr<admin::GetSpendResponse> one_team =
      Spend({admin::SPEND_GROUPING_TEAM, admin::SPEND_GROUPING_MODEL}, "", "", "search");
  ASSERT_TRUE(one_team.ok());
  ASSERT_EQ(one_team->rows_size(), 2);
  EXPECT_EQ(one_team->rows(0).team(), "search");
  EXPECT_EQ(one_team->rows(1).cost_pico_usd(), 1'000'000'000'003);

  absl::StatusOr<admin::GetSpendResponse> total = Spend({});
  ASSERT_TRUE(total.ok());
  ASSERT_EQ(total->rows_size(), 1);
  EXPECT_EQ(total->rows(0).requests(), 5);
  EXPECT_EQ(total->rows(0).cost_pico_usd(), 1'000'000'000'031);
}

TEST_F(UsageQueriesTest, DateRangesAreInclusiveAndDefaultToTheCurrentMonth) {
  Store({
      Record("feb", "search", "k", "m", MicrosAt(2026, 2, 28, 23, 30), 1),
      Record("mar1", "search", "k", "m", MicrosAt(2026, 3, 1, 0, 0), 2),
      Record("mar10", "search", "k", "m", MicrosAt(2026, 3, 10, 12), 4),
      Record("mar31", "search", "k", "m", MicrosAt(2026, 3, 31, 23, 59, 59), 8),
      Record("apr", "search", "k", "m", MicrosAt(2026, 4, 1, 0, 0), 16),
  });
  auto cost = [&](const std::string& from, const std::string& to, absl::Time now) -> int64_t {
    absl::StatusOr<admin::GetSpendResponse> spend =
        Spend({admin::SPEND_GROUPING_TEAM}, from, to, "", now);
    if (!spend.ok()) {
      ADD_FAILURE() << spend.status();
      return -1;
    }
    return spend->rows_size() == 0 ? 0 : spend->rows(0).cost_pico_usd();
  };
  EXPECT_EQ(cost("", "", At(2026, 3, 20)), 14);
  EXPECT_EQ(cost("", "", At(2026, 2, 1)), 1);
  EXPECT_EQ(cost("", "", At(2026, 4, 30, 23, 59, 59)), 16);
  EXPECT_EQ(cost("", "", At(2026, 5, 1)), 0);
  EXPECT_EQ(cost("2026-03-10", "2026-03-10", At(2026, 3, 20)), 4);
  EXPECT_EQ(cost("2026-02-28", "2026-03-01", At(2026, 3, 20)), 3);
  EXPECT_EQ(cost("2026-03-02", "2026-03-31", At(2026, 3, 20)), 12);
  EXPECT_EQ(cost("2026-01-01", "2026-12-31", At(2026, 3, 20)), 31);
  EXPECT_EQ(cost("2026-03-11", "2026-03-30", At(2026, 3, 20)), 0);
}

TEST_F(UsageQueriesTest, SpendRefusesBadArguments) {
  auto code = [&](std::vector<admin::SpendGrouping> by, const std::string& from,
                  const std::string& to) { return Spend(std::move(by), from, to).status().code(); };
  const auto invalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(code({admin::SPEND_GROUPING_TEAM}, "2026-03-01", ""), invalid);
  EXPECT_EQ(code({admin::SPEND_GROUPING_TEAM}, "", "2026-03-01"), invalid);
  EXPECT_EQ(code({admin::SPEND_GROUPING_TEAM}, "2026-02-30", "2026-03-01"), invalid);
  EXPECT_EQ(code({admin::SPEND_GROUPING_TEAM}, "2026-3-01", "2026-03-01"), invalid);
  EXPECT_EQ(code({admin::SPEND_GROUPING_TEAM}, "2026-03-01T00", "2026-03-01"), invalid);
  EXPECT_EQ(code({admin::SPEND_GROUPING_TEAM}, "2026-03-02", "2026-03-01"), invalid);
  EXPECT_EQ(code({admin::SPEND_GROUPING_UNSPECIFIED}, "", ""), invalid);
  EXPECT_EQ(code({admin::SPEND_GROUPING_TEAM}, "2026-03-01", "2026-03-01"), absl::StatusCode::kOk);
}

TEST_F(UsageQueriesTest, SpendSumOverflowIsAnErrorNotAWrongTotal) {
  const int64_t half = std::numeric_limits<int64_t>::max() / 2 + 1;
  // Different hours, so each rollup row fits; only their sum overflows.
  Store({Record("x1", "search", "k", "m", MicrosAt(2026, 3, 10, 1), half)});
  Store({Record("x2", "search", "k", "m", MicrosAt(2026, 3, 10, 2), half)});
  EXPECT_EQ(Spend({admin::SPEND_GROUPING_TEAM}).status().code(), absl::StatusCode::kOutOfRange);
  absl::StatusOr<admin::GetSpendResponse> one_day =
      Spend({admin::SPEND_GROUPING_TEAM}, "2026-03-10", "2026-03-10");
  EXPECT_EQ(one_day.status().code(), absl::StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace gw::testing
