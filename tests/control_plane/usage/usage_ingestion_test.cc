// UsageReporting end to end on loopback: idempotent ingestion on record_id, exact rollups,
// durability across a restart, acks only after commit, refusal of bad batches, and auth.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/control_plane/usage/usage_test_env.h"

namespace gw::testing {
namespace {

int64_t Count(const UsageTestServer& server, const std::string& sql) {
  return CountFromSecondConnection(server.db_path(), sql);
}

int64_t StoredRecords(const UsageTestServer& server) {
  return Count(server, "SELECT COUNT(*) FROM usage_records");
}

int64_t RolledUpRequests(const UsageTestServer& server) {
  return Count(server, "SELECT COALESCE(SUM(requests), 0) FROM usage_rollups_hourly");
}

TEST(UsageIngestionTest, ReplayedBatchIsCountedOnce) {
  UsageTestServer server;
  TestReporter reporter(server.channel(), kWorkerToken);
  const UsageBatch batch = MakeBatch(7, {MakeRecord("r1"), MakeRecord("r2"), MakeRecord("r3")});

  std::optional<UsageAck> first = reporter.Send(batch);
  ASSERT_TRUE(first.has_value()) << reporter.Finish().error_message();
  EXPECT_EQ(first->batch_id(), 7u);
  EXPECT_EQ(first->accepted(), 3);
  EXPECT_EQ(first->duplicates(), 0);

  std::optional<UsageAck> replay = reporter.Send(batch);
  ASSERT_TRUE(replay.has_value());
  EXPECT_EQ(replay->batch_id(), 7u);
  EXPECT_EQ(replay->accepted(), 0);
  EXPECT_EQ(replay->duplicates(), 3);

  // A replay on another stream (a reconnected worker) is a duplicate too.
  TestReporter reconnected(server.channel(), kWorkerToken);
  std::optional<UsageAck> again = reconnected.Send(batch);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->duplicates(), 3);

  EXPECT_EQ(StoredRecords(server), 3);
  EXPECT_EQ(RolledUpRequests(server), 3);
  EXPECT_EQ(Count(server, "SELECT SUM(cost_pico_usd) FROM usage_rollups_hourly"), 3 * 1'234'567);
}

TEST(UsageIngestionTest, RepeatedRequestIdWithNewRecordIdCountsTwice) {
  UsageTestServer server;
  TestReporter reporter(server.channel(), kWorkerToken);
  RecordSpec spec;
  spec.request_id = "client-chosen-id";
  std::optional<UsageAck> ack =
      reporter.Send(MakeBatch(1, {MakeRecord("rec-a", spec), MakeRecord("rec-b", spec)}));
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->accepted(), 2);
  EXPECT_EQ(StoredRecords(server), 2);
  EXPECT_EQ(RolledUpRequests(server), 2);
}

TEST(UsageIngestionTest, RecordRepeatedInsideOneBatchIsOneDuplicate) {
  UsageTestServer server;
  TestReporter reporter(server.channel(), kWorkerToken);
  std::optional<UsageAck> ack =
      reporter.Send(MakeBatch(1, {MakeRecord("same"), MakeRecord("same"), MakeRecord("other")}));
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->accepted(), 2);
  EXPECT_EQ(ack->duplicates(), 1);
  EXPECT_EQ(RolledUpRequests(server), 2);
}

TEST(UsageIngestionTest, RollupsAreExactToThePicoUsd) {
  UsageTestServer server;
  TestReporter reporter(server.channel(), kWorkerToken);
  const int64_t hour = cp::HourStartMicros(March10At1015());
  // Two hours, two keys, two models, refusals and upstream failures, awkward costs.
  struct Expected {
    int64_t requests = 0, failed = 0, input = 0, cached = 0, output = 0, cost = 0;
  };
  std::map<std::tuple<std::string, std::string, int64_t>, Expected> expected;
  std::vector<UsageRecord> records;
  for (int i = 0; i < 120; ++i) {
    RecordSpec spec;
    spec.key_id = i % 3 == 0 ? "key-2" : "key-1";
    spec.model = i % 2 == 0 ? "gpt-4o" : "claude-3-5-sonnet";
    spec.ts_micros = hour + (i % 5 == 0 ? cp::kMicrosPerHour : 0) + i * 1'000'000;
    spec.input_tokens = 1000 + i;
    spec.cached_input_tokens = i;
    spec.output_tokens = 7 * i;
    spec.cost_pico_usd = 999'999'999'999 + i * 1'000'003;  // About $1 each, odd picos.
    spec.status_code = i % 7 == 0 ? 429 : (i % 11 == 0 ? 502 : (i % 13 == 0 ? 399 : 200));
    Expected& e = expected[{spec.key_id, spec.model, cp::HourStartMicros(spec.ts_micros)}];
    ++e.requests;
    e.failed += spec.status_code >= 400 ? 1 : 0;
    e.input += spec.input_tokens;
    e.cached += spec.cached_input_tokens;
    e.output += spec.output_tokens;
    e.cost += spec.cost_pico_usd;
    records.push_back(MakeRecord(absl::StrCat("rec-", i), spec));
  }
  // Two batches so that the sums also cross transactions.
  std::vector<UsageRecord> second(records.begin() + 50, records.end());
  records.resize(50);
  ASSERT_TRUE(reporter.Send(MakeBatch(1, records)).has_value());
  ASSERT_TRUE(reporter.Send(MakeBatch(2, second)).has_value());

  auto db = cp::Database::Open(server.db_path());
  ASSERT_TRUE(db.ok()) << db.status();
  auto rows = (*db)->Prepare(
      "SELECT team, key_id, model, hour_start, requests, failed_requests, input_tokens, "
      "cached_input_tokens, output_tokens, cost_pico_usd FROM usage_rollups_hourly");
  ASSERT_TRUE(rows.ok()) << rows.status();
  size_t seen = 0;
  while (true) {
    auto row = rows->Step();
    ASSERT_TRUE(row.ok()) << row.status();
    if (!*row) break;
    ++seen;
    EXPECT_EQ(rows->ColumnText(0), "search");
    const auto found =
        expected.find({rows->ColumnText(1), rows->ColumnText(2), rows->ColumnInt64(3)});
    ASSERT_NE(found, expected.end()) << rows->ColumnText(1) << " " << rows->ColumnText(2);
    const Expected& e = found->second;
    EXPECT_EQ(rows->ColumnInt64(4), e.requests);
    EXPECT_EQ(rows->ColumnInt64(5), e.failed);
    EXPECT_EQ(rows->ColumnInt64(6), e.input);
    EXPECT_EQ(rows->ColumnInt64(7), e.cached);
    EXPECT_EQ(rows->ColumnInt64(8), e.output);
    EXPECT_EQ(rows->ColumnInt64(9), e.cost);
  }
  EXPECT_EQ(seen, expected.size());
}

TEST(UsageIngestionTest, EveryAckFollowsItsCommit) {
  UsageTestServer server;
  TestReporter reporter(server.channel(), kWorkerToken);
  int64_t acknowledged = 0;
  for (int b = 0; b < 10; ++b) {
    std::vector<UsageRecord> records;
    for (int i = 0; i < 20; ++i) records.push_back(MakeRecord(absl::StrCat("b", b, "-r", i)));
    std::optional<UsageAck> ack = reporter.Send(MakeBatch(b, records));
    ASSERT_TRUE(ack.has_value());
    acknowledged += ack->accepted();
    // Another connection sees the batch the moment its ack arrives: it was committed first.
    EXPECT_EQ(StoredRecords(server), acknowledged);
    EXPECT_EQ(RolledUpRequests(server), acknowledged);
  }
}

TEST(UsageIngestionTest, PipelinedBatchesAreAcknowledgedInOrder) {
  UsageTestServer server;
  TestReporter reporter(server.channel(), kWorkerToken);
  for (uint64_t b = 1; b <= 8; ++b) {
    ASSERT_TRUE(reporter.Write(MakeBatch(b * 100, {MakeRecord(absl::StrCat("p", b))})));
  }
  for (uint64_t b = 1; b <= 8; ++b) {
    std::optional<UsageAck> ack = reporter.Read();
    ASSERT_TRUE(ack.has_value());
    EXPECT_EQ(ack->batch_id(), b * 100);
    EXPECT_EQ(ack->accepted(), 1);
  }
  EXPECT_TRUE(reporter.Finish().ok());
}

// A reporter keeping several batches in flight has them read ahead while the writer is busy,
// so they meet in one group commit; each ack still comes in order and after its commit.
TEST(UsageIngestionTest, PipelinedBatchesShareACommitAndEachAckFollowsIt) {
  UsageTestServer server;
  cp::UsageIngestor& ingestor = server.usage().ingestor();
  TestReporter reporter(server.channel(), kWorkerToken);
  constexpr int kBatches = 4;
  constexpr int kRecordsPerBatch = 50;
  const int64_t submitted_before = ingestor.batches_submitted();
  const int64_t commits_before = ingestor.commits();
  {
    // Holding the connection keeps the writer from committing anything meanwhile.
    std::unique_lock busy = server.store().database().Lock();
    for (int b = 1; b <= kBatches; ++b) {
      std::vector<UsageRecord> records;
      for (int i = 0; i < kRecordsPerBatch; ++i) {
        records.push_back(MakeRecord(absl::StrCat("pipe", b, "-", i)));
      }
      ASSERT_TRUE(reporter.Write(MakeBatch(static_cast<uint64_t>(b), records)));
    }
    // No ack can come while nothing commits, so the stream must read all four ahead.
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (ingestor.batches_submitted() - submitted_before < kBatches && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(2));
    }
    ASSERT_EQ(ingestor.batches_submitted() - submitted_before, kBatches);
  }
  int64_t acknowledged = 0;
  for (int b = 1; b <= kBatches; ++b) {
    std::optional<UsageAck> ack = reporter.Read();
    ASSERT_TRUE(ack.has_value());
    EXPECT_EQ(ack->batch_id(), static_cast<uint64_t>(b));
    EXPECT_EQ(ack->accepted(), kRecordsPerBatch);
    acknowledged += ack->accepted();
    // Committed before acknowledged: another connection already sees at least these records.
    EXPECT_GE(StoredRecords(server), acknowledged);
  }
  EXPECT_EQ(StoredRecords(server), kBatches * kRecordsPerBatch);
  // The first batch the writer took alone at most; the three read ahead behind it share one.
  EXPECT_LE(ingestor.commits() - commits_before, 2);
  grpc::Status finished = reporter.Finish();
  EXPECT_TRUE(finished.ok()) << finished.error_message();
}

TEST(UsageIngestionTest, HalfClosedStreamStillGetsItsLastAck) {
  UsageTestServer server;
  TestReporter reporter(server.channel(), kWorkerToken);
  ASSERT_TRUE(reporter.Write(MakeBatch(1, {MakeRecord("last")})));
  // Finish() half-closes first, then drains: the ack must still come, then status OK.
  grpc::Status status = reporter.Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(StoredRecords(server), 1);
}

TEST(UsageIngestionTest, RestartKeepsRecordsRollupsAndIdempotency) {
  UsageTestServer server;
  const UsageBatch batch = MakeBatch(1, {MakeRecord("keep-1"), MakeRecord("keep-2")});
  {
    TestReporter reporter(server.channel(), kWorkerToken);
    ASSERT_TRUE(reporter.Send(batch).has_value());
  }
  server.Restart();
  EXPECT_EQ(StoredRecords(server), 2);
  EXPECT_EQ(RolledUpRequests(server), 2);
  TestReporter reporter(server.channel(), kWorkerToken);
  std::optional<UsageAck> replay = reporter.Send(batch);
  ASSERT_TRUE(replay.has_value());
  EXPECT_EQ(replay->accepted(), 0);
  EXPECT_EQ(replay->duplicates(), 2);
  EXPECT_EQ(RolledUpRequests(server), 2);
}

TEST(UsageIngestionTest, BatchWithAnInvalidRecordIsRefusedWhole) {
  UsageTestServer server;
  struct Case {
    const char* name;
    UsageRecord record;
  };
  std::vector<Case> cases;
  cases.push_back({"record_id is empty", MakeRecord("")});
  cases.push_back({"record_id is longer than 128", MakeRecord(std::string(129, 'x'))});
  UsageRecord no_time = MakeRecord("no-time");
  no_time.clear_timestamp();
  cases.push_back({"timestamp is missing", no_time});
  RecordSpec negative_tokens;
  negative_tokens.output_tokens = -1;
  cases.push_back({"output_tokens is negative", MakeRecord("neg-tokens", negative_tokens)});
  RecordSpec negative_cost;
  negative_cost.cost_pico_usd = -5;
  cases.push_back({"cost_pico_usd is negative", MakeRecord("neg-cost", negative_cost)});

  for (Case& c : cases) {
    SCOPED_TRACE(c.name);
    TestReporter reporter(server.channel(), kWorkerToken);
    ASSERT_TRUE(reporter.Send(MakeBatch(1, {MakeRecord("good-before")})).has_value());
    EXPECT_FALSE(
        reporter.Send(MakeBatch(2, {MakeRecord("good-in-bad-batch"), c.record})).has_value());
    grpc::Status status = reporter.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find("record 1"), std::string::npos) << status.error_message();
    EXPECT_NE(status.error_message().find(c.name), std::string::npos) << status.error_message();
    // The earlier batch stands; nothing of the refused one is stored.
    EXPECT_EQ(StoredRecords(server), 1);
    EXPECT_EQ(Count(server,
                    "SELECT COUNT(*) FROM usage_records "
                    "WHERE record_id = 'good-in-bad-batch'"),
              0);
  }
}

TEST(UsageIngestionTest, OnlyTheWorkerTokenOpensAStream) {
  UsageTestServer server;
  for (const std::string& token :
       {std::string(kAdminToken), std::string(), std::string("worker-token-0123456789abcdeX")}) {
    TestReporter reporter(server.channel(), token);
    EXPECT_FALSE(reporter.Send(MakeBatch(1, {MakeRecord("unauthorised")})).has_value());
    grpc::Status status = reporter.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(status.error_message().find(kWorkerToken), std::string::npos);
  }
  EXPECT_EQ(StoredRecords(server), 0);
  TestReporter worker(server.channel(), kWorkerToken);
  EXPECT_TRUE(worker.Send(MakeBatch(1, {MakeRecord("authorised")})).has_value());
}

TEST(UsageIngestionTest, CloseStreamsEndsOpenStreamsAndRefusesNewOnes) {
  UsageTestServer server;
  TestReporter open(server.channel(), kWorkerToken);
  ASSERT_TRUE(open.Send(MakeBatch(1, {MakeRecord("before-close")})).has_value());
  server.usage().CloseStreams();
  EXPECT_EQ(open.Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  TestReporter late(server.channel(), kWorkerToken);
  EXPECT_FALSE(late.Send(MakeBatch(2, {MakeRecord("after-close")})).has_value());
  EXPECT_EQ(late.Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(StoredRecords(server), 1);
}

// A batch whose rollup cannot be summed fails alone; batches stored with it are unaffected.
TEST(UsageIngestionTest, FailingBatchDoesNotFailItsNeighbours) {
  UsageTestServer server;
  RecordSpec huge;
  huge.cost_pico_usd = std::numeric_limits<int64_t>::max() / 2 + 1;
  const UsageBatch overflowing =
      MakeBatch(2, {MakeRecord("huge-1", huge), MakeRecord("huge-2", huge)});
  const UsageBatch good = MakeBatch(1, {MakeRecord("fine")});

  Signal good_done, bad_done;
  absl::StatusOr<UsageAck> good_ack, bad_ack;
  cp::UsageIngestor& ingestor = server.usage().ingestor();
  ASSERT_TRUE(ingestor
                  .Submit(good,
                          [&](absl::StatusOr<UsageAck> ack) {
                            good_ack = std::move(ack);
                            good_done.Notify();
                          })
                  .ok());
  ASSERT_TRUE(ingestor
                  .Submit(overflowing,
                          [&](absl::StatusOr<UsageAck> ack) {
                            bad_ack = std::move(ack);
                            bad_done.Notify();
                          })
                  .ok());
  ASSERT_TRUE(good_done.WaitFor(absl::Seconds(10)));
  ASSERT_TRUE(bad_done.WaitFor(absl::Seconds(10)));
  ASSERT_TRUE(good_ack.ok()) << good_ack.status();
  EXPECT_EQ(good_ack->accepted(), 1);
  EXPECT_EQ(bad_ack.status().code(), absl::StatusCode::kOutOfRange) << bad_ack.status();
  EXPECT_EQ(StoredRecords(server), 1);
}

// While the database is busy, the queue admits batches only up to its bound; the rest are
// refused at once (and never called back), the admitted ones are all stored afterwards.
TEST(UsageIngestionTest, FullQueueRefusesWithResourceExhausted) {
  TempDir dir;
  auto store = cp::ConfigStore::Open(dir.File("gateway.db"));
  ASSERT_TRUE(store.ok()) << store.status();
  cp::UsageIngestor::Options options;
  options.max_queued_records = 1;
  auto ingestor = cp::UsageIngestor::Start((*store)->database(), options, nullptr);
  ASSERT_TRUE(ingestor.ok()) << ingestor.status();

  constexpr int kBatches = 5;
  std::vector<std::unique_ptr<Signal>> stored;
  int refused = 0;
  {
    // Holding the connection keeps the writer from committing anything meanwhile.
    std::unique_lock busy = (*store)->database().Lock();
    for (int b = 0; b < kBatches; ++b) {
      auto signal = std::make_unique<Signal>();
      Signal* raw = signal.get();
      absl::Status submitted = (*ingestor)->Submit(MakeBatch(b, {MakeRecord(absl::StrCat("q", b))}),
                                                   [raw](absl::StatusOr<UsageAck> ack) {
                                                     EXPECT_TRUE(ack.ok()) << ack.status();
                                                     raw->Notify();
                                                   });
      if (submitted.ok()) {
        stored.push_back(std::move(signal));
      } else {
        EXPECT_EQ(submitted.code(), absl::StatusCode::kResourceExhausted) << submitted;
        ++refused;
      }
    }
  }
  EXPECT_GE(refused, 1);
  for (const auto& signal : stored) EXPECT_TRUE(signal->WaitFor(absl::Seconds(10)));
  EXPECT_EQ((*ingestor)->records_stored(), static_cast<int64_t>(stored.size()));
}

}  // namespace
}  // namespace gw::testing
