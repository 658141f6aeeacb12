// Usage is never lost nor double counted: the real control plane receives the same batch again
// (on one stream, on a new stream, after a restart) and counts it once, as `gwctl spend` and
// `gwctl usage` show.
#include <chrono>
#include <csignal>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "boost/json.hpp"
#include "gateway/usage/v1/usage.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/integration/harness/poll.h"
#include "tests/integration/harness/stack.h"

namespace gw::testing {
namespace {

namespace json = boost::json;
namespace usagepb = gateway::usage::v1;

// One ReportUsage stream, authenticated as a worker, as a worker's reporter would open it.
class SyntheticReporter {
 public:
  explicit SyntheticReporter(const std::string& address)
      : channel_(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())),
        stub_(usagepb::UsageReporting::NewStub(channel_)) {
    context_.AddMetadata("authorization", absl::StrCat("Bearer ", kWorkerToken));
    // A broken server fails the test instead of hanging it.
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    stream_ = stub_->ReportUsage(&context_);
  }
  SyntheticReporter(const SyntheticReporter&) = delete;
  SyntheticReporter& operator=(const SyntheticReporter&) = delete;
  ~SyntheticReporter() {
    if (finished_) return;
    context_.TryCancel();
    stream_->Finish().IgnoreError();
  }

  bool Write(const usagepb::UsageBatch& batch) { return stream_->Write(batch); }
  std::optional<usagepb::UsageAck> Read() {
    usagepb::UsageAck ack;
    if (!stream_->Read(&ack)) return std::nullopt;
    return ack;
  }
  // The batch's ack, or nullopt when the stream ended instead (Finish() tells why).
  std::optional<usagepb::UsageAck> Send(const usagepb::UsageBatch& batch) {
    if (!Write(batch)) return std::nullopt;
    return Read();
  }
  grpc::Status Finish() {
    stream_->WritesDone();
    usagepb::UsageAck ignored;
    while (stream_->Read(&ignored)) {
    }
    finished_ = true;
    return stream_->Finish();
  }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<usagepb::UsageReporting::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<usagepb::UsageBatch, usagepb::UsageAck>> stream_;
  bool finished_ = false;
};

usagepb::UsageRecord MakeRecord(const std::string& record_id, const std::string& request_id,
                                const std::string& team, int status_code, int64_t input_tokens,
                                int64_t output_tokens, int64_t cost_pico_usd) {
  usagepb::UsageRecord record;
  record.set_record_id(record_id);
  record.set_request_id(request_id);
  const int64_t now_micros = absl::ToUnixMicros(absl::Now());
  record.mutable_timestamp()->set_seconds(now_micros / 1'000'000);
  record.mutable_timestamp()->set_nanos(static_cast<int32_t>(now_micros % 1'000'000) * 1000);
  record.set_worker_id("synthetic-worker");
  record.set_team(team);
  record.set_key_id("key-synthetic");
  record.set_model("chat");
  record.set_provider("fake");
  record.set_upstream_model("fake-upstream-chat");
  record.set_input_tokens(input_tokens);
  record.set_output_tokens(output_tokens);
  record.set_latency_us(1500);
  record.set_status_code(status_code);
  if (status_code >= 400) record.set_error_code("api_error");
  record.set_cost_pico_usd(cost_pico_usd);
  return record;
}

usagepb::UsageBatch MakeBatch(uint64_t batch_id, const std::vector<usagepb::UsageRecord>& records) {
  usagepb::UsageBatch batch;
  batch.set_batch_id(batch_id);
  batch.set_worker_id("synthetic-worker");
  for (const usagepb::UsageRecord& record : records) *batch.add_records() = record;
  return batch;
}

// What `gwctl spend --team T` reports for one team; all zero when the team has no usage yet.
struct SpendTotals {
  int64_t requests = 0;
  int64_t failed_requests = 0;
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t cost_pico_usd = 0;
};

std::ostream& operator<<(std::ostream& out, const SpendTotals& s) {
  return out << "{requests " << s.requests << ", failed " << s.failed_requests << ", input "
             << s.input_tokens << ", output " << s.output_tokens << ", cost_pico_usd "
             << s.cost_pico_usd << "}";
}

absl::StatusOr<SpendTotals> Spend(const Gwctl& gwctl, const std::string& team) {
  absl::StatusOr<json::value> rows = gwctl.Json({"spend", "--team", team});
  if (!rows.ok()) return rows.status();
  SpendTotals totals;
  for (const json::value& row : rows->as_array()) {
    if (row.at("team").as_string() != team) continue;
    totals.requests += row.at("requests").to_number<int64_t>();
    totals.failed_requests += row.at("failed_requests").to_number<int64_t>();
    totals.input_tokens += row.at("input_tokens").to_number<int64_t>();
    totals.output_tokens += row.at("output_tokens").to_number<int64_t>();
    totals.cost_pico_usd += row.at("cost_pico_usd").to_number<int64_t>();
  }
  return totals;
}

// Every raw record of `team` (`gwctl usage` lists the latest 20 unless asked for more).
absl::StatusOr<json::array> UsageRecords(const Gwctl& gwctl, const std::string& team) {
  absl::StatusOr<json::value> records = gwctl.Json({"usage", "--team", team, "-n", "100000"});
  if (!records.ok()) return records.status();
  return records->as_array();
}

// The acks a batch of `records` earns: how many are new and how many were stored before.
void ExpectAck(const std::optional<usagepb::UsageAck>& ack, uint64_t batch_id, int accepted,
               int duplicates) {
  ASSERT_TRUE(ack.has_value()) << "the stream ended instead of acknowledging batch " << batch_id;
  EXPECT_EQ(ack->batch_id(), batch_id);
  EXPECT_EQ(ack->accepted(), accepted) << "batch " << batch_id;
  EXPECT_EQ(ack->duplicates(), duplicates) << "batch " << batch_id;
}

class UsageRecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<TempDir> dir = TempDir::Create("gw-usage-recovery");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_.emplace(*std::move(dir));
    cp_.emplace(*dir_);
    absl::Status started = cp_->Start();
    ASSERT_TRUE(started.ok()) << started;
  }

  void TearDown() override {
    if (HasFailure() && cp_) std::cerr << "control plane log:\n" << cp_->Log() << "\n";
  }

  std::optional<TempDir> dir_;
  std::optional<ControlPlaneProcess> cp_;
};

// Issue 5, test 4 (first part): a worker that lost an ack sends the batch again, on the same
// stream, on a new stream, or after the control plane restarted; it counts once.
TEST_F(UsageRecoveryTest, TheSameBatchDeliveredAgainCountsOnce) {
  const std::string team = "synthetic";
  // r4 repeats r1's request id: a client retry is a second request, never a duplicate.
  const std::vector<usagepb::UsageRecord> records = {
      MakeRecord("synthetic-boot1-1", "req-a", team, 200, 10, 20, 1'000'000),
      MakeRecord("synthetic-boot1-2", "req-b", team, 200, 7, 3, 2'000'000),
      MakeRecord("synthetic-boot1-3", "req-c", team, 502, 5, 0, 0),
      MakeRecord("synthetic-boot1-4", "req-a", team, 200, 11, 13, 4'000'000),
  };
  const usagepb::UsageRecord late = MakeRecord("synthetic-boot1-5", "req-d", team, 429, 0, 0, 0);

  {
    SyntheticReporter stream(cp_->address());
    ExpectAck(stream.Send(MakeBatch(1, records)), 1, 4, 0);
    // The same records again on the same stream, as after a lost ack.
    ExpectAck(stream.Send(MakeBatch(2, records)), 2, 0, 4);
    // A batch mixing a stored record with a new one that also repeats inside the batch.
    ExpectAck(stream.Send(MakeBatch(3, {records[1], late, late})), 3, 1, 2);
    // Pipelined: both written before either ack is read.
    ASSERT_TRUE(stream.Write(MakeBatch(4, records)));
    ASSERT_TRUE(stream.Write(MakeBatch(5, records)));
    ExpectAck(stream.Read(), 4, 0, 4);
    ExpectAck(stream.Read(), 5, 0, 4);
    const grpc::Status finished = stream.Finish();
    EXPECT_TRUE(finished.ok()) << finished.error_message();
  }
  {
    // A new stream, as after a reconnect: batch ids start over.
    SyntheticReporter stream(cp_->address());
    ExpectAck(stream.Send(MakeBatch(1, records)), 1, 0, 4);
  }
  // The ack came after a durable commit: a killed control plane still knows every record id.
  const std::string address = cp_->address();
  cp_->Kill();
  absl::Status restarted = cp_->Start(address);
  ASSERT_TRUE(restarted.ok()) << restarted;
  {
    SyntheticReporter stream(cp_->address());
    ExpectAck(stream.Send(MakeBatch(1, records)), 1, 0, 4);
    ExpectAck(stream.Send(MakeBatch(2, {late})), 2, 0, 1);
  }

  SpendTotals expected;
  std::vector<usagepb::UsageRecord> unique = records;
  unique.push_back(late);
  for (const usagepb::UsageRecord& record : unique) {
    ++expected.requests;
    if (record.status_code() >= 400) ++expected.failed_requests;
    expected.input_tokens += record.input_tokens();
    expected.output_tokens += record.output_tokens();
    expected.cost_pico_usd += record.cost_pico_usd();
  }
  const Gwctl gwctl(*cp_);
  absl::StatusOr<SpendTotals> spend = Spend(gwctl, team);
  ASSERT_TRUE(spend.ok()) << spend.status();
  EXPECT_EQ(spend->requests, expected.requests) << *spend;
  EXPECT_EQ(spend->failed_requests, expected.failed_requests) << *spend;
  EXPECT_EQ(spend->input_tokens, expected.input_tokens) << *spend;
  EXPECT_EQ(spend->output_tokens, expected.output_tokens) << *spend;
  EXPECT_EQ(spend->cost_pico_usd, expected.cost_pico_usd) << *spend;

  absl::StatusOr<json::array> listed = UsageRecords(gwctl, team);
  ASSERT_TRUE(listed.ok()) << listed.status();
  std::multiset<std::string> record_ids;
  std::multiset<std::string> request_ids;
  for (const json::value& record : *listed) {
    record_ids.insert(std::string(record.at("record_id").as_string()));
    request_ids.insert(std::string(record.at("request_id").as_string()));
  }
  std::multiset<std::string> expected_record_ids;
  for (const usagepb::UsageRecord& record : unique) expected_record_ids.insert(record.record_id());
  EXPECT_EQ(record_ids, expected_record_ids);
  EXPECT_EQ(request_ids.count("req-a"), 2u);
}

}  // namespace
}  // namespace gw::testing
