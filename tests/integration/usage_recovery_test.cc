// Usage is never lost nor double counted (issue 5). The real control plane receives the same
// batch again (on one stream, on a new stream, after a restart) and counts it once. Real workers
// serving chat requests from gw-fake-provider keep every answered request's record across a
// control plane killed under load and a worker killed while the control plane is down; two workers
// sharing one worker id, and two requests sharing one x-request-id, count each request once.
// `gwctl spend` and `gwctl usage` are the judges, as an operator would look.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "boost/json.hpp"
#include "gateway/usage/v1/usage.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/fakes/testing/fake_provider_process.h"
#include "tests/integration/harness/http_client.h"
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

constexpr char kProviderEnv[] = "GW_USAGE_RECOVERY_PROVIDER_KEY";
constexpr char kProviderSecret[] = "sk-fake-provider-secret-usage-recovery";
constexpr char kTeam[] = "metered";
// The fake echoes "hello there world": 3 prompt and 3 completion tokens, at $2.50 and $10.00 per
// 1M tokens (pico-USD per token: 2'500'000 and 10'000'000).
constexpr int64_t kCostOfOneAnswerPicoUsd = 3 * 2'500'000 + 3 * 10'000'000;

enum class Outcome { kAnswered, kProviderFails, kUnknownModel };

std::string ChatBody(Outcome outcome) {
  return absl::StrCat(R"({"model":")", outcome == Outcome::kUnknownModel ? "no-such-model" : "chat",
                      R"(","messages":[{"role":"user","content":"hello there world"}])",
                      outcome == Outcome::kProviderFails ? R"(,"x_fake":{"status":500})" : "", "}");
}

// What the clients saw: every answered request (any status: refusals are metered too).
struct LoadTally {
  std::multiset<std::string> answered_request_ids;
  std::map<int, int64_t> statuses;
  int64_t failed = 0;  // Status >= 400.
  int64_t ok = 0;      // Status 200.
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  // Requests with no answer (connection refused, reset, timeout): the worker may or may not have
  // metered them, so a test expecting exact counts requires none.
  std::vector<std::string> transport_errors;

  int64_t answered() const { return static_cast<int64_t>(answered_request_ids.size()); }
  void Add(const LoadTally& other) {
    answered_request_ids.insert(other.answered_request_ids.begin(),
                                other.answered_request_ids.end());
    for (const auto& [status, count] : other.statuses) statuses[status] += count;
    failed += other.failed;
    ok += other.ok;
    input_tokens += other.input_tokens;
    output_tokens += other.output_tokens;
    transport_errors.insert(transport_errors.end(), other.transport_errors.begin(),
                            other.transport_errors.end());
  }
  std::string StatusText() const {
    std::vector<std::string> parts;
    for (const auto& [status, count] : statuses) parts.push_back(absl::StrCat(status, ": ", count));
    return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
  }
};

// Closed-loop chat load on one worker: `threads` clients each sending buffered chat completions
// one after the other (some make the provider fail (502), some name an unknown model (404): the
// gateway meters failures and refusals too),
// with unique x-request-ids "<tag>-<thread>-<n>", until Stop(), `max_requests` sent in all, or
// two minutes passed.
class ChatLoad {
 public:
  ChatLoad(std::string address, std::string key, std::string tag, int threads, int64_t max_requests)
      : address_(std::move(address)),
        key_(std::move(key)),
        tag_(std::move(tag)),
        max_requests_(max_requests),
        give_up_at_(absl::Now() + absl::Minutes(2)) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this, i] { Run(i); });
  }
  ChatLoad(const ChatLoad&) = delete;
  ChatLoad& operator=(const ChatLoad&) = delete;
  ~ChatLoad() { (void)Stop(); }

  int64_t answered() const { return answered_.load(); }
  // True once `count` requests were answered in all; false after `timeout` or when the load ended
  // (every request sent) short of it.
  bool WaitForAnswered(int64_t count, absl::Duration timeout) const {
    return PollUntil([&] { return answered() >= count || done_threads_.load() == threads_.size(); },
                     timeout) &&
           answered() >= count;
  }
  // Waits for each client's request in flight, then returns what the clients saw.
  LoadTally Stop() {
    stop_.store(true);
    for (std::thread& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
    absl::MutexLock lock(&mu_);
    return tally_;
  }

 private:
  static Outcome OutcomeOf(int64_t n) {
    if (n % 5 == 4) return Outcome::kProviderFails;
    if (n % 7 == 6) return Outcome::kUnknownModel;
    return Outcome::kAnswered;
  }

  void Run(int thread_index) {
    const std::map<std::string, std::string> base_headers = {
        {"authorization", absl::StrCat("Bearer ", key_)}, {"content-type", "application/json"}};
    for (int64_t n = 0; !stop_.load() && absl::Now() < give_up_at_; ++n) {
      if (sent_.fetch_add(1) >= max_requests_) break;
      const std::string request_id = absl::StrCat(tag_, "-", thread_index, "-", n);
      std::map<std::string, std::string> headers = base_headers;
      headers["x-request-id"] = request_id;
      absl::StatusOr<HttpResponse> response =
          HttpRequest(address_, "POST", "/v1/chat/completions", headers, ChatBody(OutcomeOf(n)),
                      absl::Seconds(20));
      absl::MutexLock lock(&mu_);
      if (!response.ok()) {
        tally_.transport_errors.push_back(
            absl::StrCat(request_id, ": ", response.status().ToString()));
        continue;
      }
      tally_.answered_request_ids.insert(request_id);
      ++tally_.statuses[response->status];
      if (response->status >= 400) ++tally_.failed;
      if (response->status == 200) {
        ++tally_.ok;
        boost::system::error_code ec;
        const json::value body = json::parse(response->body, ec);
        if (!ec && body.is_object() && body.as_object().contains("usage")) {
          tally_.input_tokens += body.at("usage").at("prompt_tokens").to_number<int64_t>();
          tally_.output_tokens += body.at("usage").at("completion_tokens").to_number<int64_t>();
        }
      }
      answered_.fetch_add(1);
    }
    done_threads_.fetch_add(1);
  }

  const std::string address_;
  const std::string key_;
  const std::string tag_;
  const int64_t max_requests_;
  const absl::Time give_up_at_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> sent_{0};
  std::atomic<int64_t> answered_{0};
  std::atomic<size_t> done_threads_{0};
  absl::Mutex mu_;
  LoadTally tally_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_;  // Last: they start in the constructor.
};

// Request ids of the usage records a worker's spool holds, complete entries only (the format is
// described in data_plane/usage/README.md: u32 length, u32 CRC, u64 sequence, UsageRecord). Read
// only: a torn entry at the end (a write in progress) is simply not counted.
std::multiset<std::string> SpooledRequestIds(const std::string& state_dir) {
  std::multiset<std::string> ids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(state_dir + "/usage-spool", ec)) {
    const std::string name = entry.path().filename().string();
    if (!absl::StartsWith(name, "segment-") || !absl::EndsWith(name, ".log")) continue;
    absl::StatusOr<std::string> bytes = ReadFile(entry.path().string());
    if (!bytes.ok()) continue;
    size_t at = 0;
    while (bytes->size() - at >= 16) {
      uint32_t length = 0;
      std::memcpy(&length, bytes->data() + at, sizeof(length));
      if (bytes->size() - at - 16 < length) break;
      usagepb::UsageRecord record;
      if (!record.ParseFromArray(bytes->data() + at + 16, static_cast<int>(length))) break;
      ids.insert(record.request_id());
      at += 16 + length;
    }
  }
  return ids;
}

// Copies the spool's segment files from one directory to another (created if missing).
absl::Status CopySpoolSegments(const std::string& from, const std::string& to) {
  std::error_code ec;
  std::filesystem::create_directories(to, ec);
  if (ec) return absl::InternalError(absl::StrCat("mkdir ", to, ": ", ec.message()));
  for (const auto& entry : std::filesystem::directory_iterator(from, ec)) {
    const std::string name = entry.path().filename().string();
    if (!absl::StartsWith(name, "segment-")) continue;
    std::filesystem::copy_file(entry.path(), std::filesystem::path(to) / name,
                               std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) return absl::InternalError(absl::StrCat("copy ", name, ": ", ec.message()));
  }
  if (ec) return absl::InternalError(absl::StrCat("list ", from, ": ", ec.message()));
  return absl::OkStatus();
}

bool Contains(const std::multiset<std::string>& haystack,
              const std::multiset<std::string>& needles) {
  return std::includes(haystack.begin(), haystack.end(), needles.begin(), needles.end());
}

// gw-data-plane on its own state dir (kept across restarts, so its spool and its last snapshot
// survive), serving on a fresh port each start.
class WorkerUnderTest {
 public:
  WorkerUnderTest(const TempDir& dir, const std::string& name, std::vector<std::string> extra_flags)
      : state_dir_(dir.Path(name)),
        token_file_(dir.Path(name + "-token")),
        extra_flags_(std::move(extra_flags)) {
    (void)WriteFile(token_file_, kWorkerToken);
  }

  absl::Status Start(const std::string& control_plane_address) {
    absl::StatusOr<Process> process =
        StartDataPlane({.control_plane_address = control_plane_address,
                        .state_dir = state_dir_,
                        .worker_token_file = token_file_,
                        .threads = 1,
                        .extra_flags = extra_flags_,
                        .env = {{kProviderEnv, kProviderSecret}}});
    if (!process.ok()) return process.status();
    process_.emplace(*std::move(process));
    absl::StatusOr<std::string> address = process_->WaitForListen("http", absl::Seconds(30));
    if (!address.ok()) return address.status();
    address_ = *address;
    return absl::OkStatus();
  }

  // Polls /readyz until the worker serves config `version` (any version when 0).
  bool WaitReady(int64_t version) const {
    return PollUntil(
        [&] {
          absl::StatusOr<HttpResponse> ready = HttpRequest(address_, "GET", "/readyz", {}, "");
          if (!ready.ok() || ready->status != 200) return false;
          if (version == 0) return true;
          boost::system::error_code ec;
          const json::value body = json::parse(ready->body, ec);
          return !ec && body.at("config_version").to_number<int64_t>() == version;
        },
        absl::Seconds(30));
  }

  void Kill() {
    if (!process_) return;
    (void)process_->Signal(SIGKILL);
    (void)process_->Wait(absl::Seconds(20));
    earlier_boots_log_ += process_->Log();
    process_.reset();
  }

  // SIGTERM: drain, flush the spool, exit 0 (CONTRACTS.md).
  absl::Status Terminate() {
    if (!process_) return absl::FailedPreconditionError("not running");
    if (absl::Status s = process_->Signal(SIGTERM); !s.ok()) return s;
    absl::StatusOr<int> code = process_->Wait(absl::Seconds(30));
    if (!code.ok()) return code.status();
    earlier_boots_log_ += process_->Log();
    process_.reset();
    if (*code != 0) return absl::InternalError(absl::StrCat("exit code ", *code, " after SIGTERM"));
    return absl::OkStatus();
  }

  const std::string& address() const { return address_; }
  const std::string& state_dir() const { return state_dir_; }
  // Every boot's log, oldest first.
  std::string Log() const {
    return process_ ? absl::StrCat(earlier_boots_log_, process_->Log()) : earlier_boots_log_;
  }

 private:
  const std::string state_dir_;
  const std::string token_file_;
  const std::vector<std::string> extra_flags_;
  std::optional<Process> process_;
  std::string address_;
  std::string earlier_boots_log_;
};

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
    if (!HasFailure()) return;
    if (cp_) std::cerr << "control plane log:\n" << cp_->Log() << "\n";
    for (const WorkerUnderTest* worker : workers_) {
      std::cerr << "worker " << worker->state_dir() << " log:\n" << worker->Log() << "\n";
    }
  }

  // Provider "fake" (a gw-fake-provider), model "chat" with prices, team kTeam with limits far
  // above the load, and a key for it.
  void ConfigureServing() {
    // A provider taking 10 ms per answer keeps the load's rate (and the records a control plane
    // restart of unknown length lets pile up) within reason.
    absl::StatusOr<std::unique_ptr<FakeProviderProcess>> fake =
        FakeProviderProcess::Start(GW_BIN_DIR "/gw-fake-provider",
                                   {"--api-key-env", kProviderEnv, "--first-byte-delay-ms", "10"},
                                   {{kProviderEnv, kProviderSecret}});
    ASSERT_TRUE(fake.ok()) << fake.status();
    fake_ = *std::move(fake);
    const Gwctl gwctl(*cp_);
    const std::vector<std::vector<std::string>> commands = {
        {"provider", "create", "fake", "--type", "openai-compatible", "--base-url",
         fake_->base_url(), "--api-key-ref", absl::StrCat("env:", kProviderEnv)},
        {"model", "create", "chat", "--provider", "fake", "--upstream-model", "fake-upstream-chat"},
        {"pricing", "set", "chat", "--input", "2.50", "--output", "10.00"},
        {"team", "create", kTeam, "--rpm", "1000000", "--tpm", "1000000000", "--max-concurrent",
         "1000"},
    };
    for (const std::vector<std::string>& command : commands) {
      const CommandResult result = gwctl.Run(command);
      ASSERT_EQ(result.exit_code, 0) << absl::StrJoin(command, " ") << ": " << result.stderr_text;
    }
    absl::StatusOr<json::value> key = gwctl.Json({"key", "create", "--team", kTeam});
    ASSERT_TRUE(key.ok()) << key.status();
    key_ = std::string(key->at("key").as_string());
    absl::StatusOr<int64_t> version = gwctl.Version();
    ASSERT_TRUE(version.ok()) << version.status();
    version_ = *version;
  }

  WorkerUnderTest& AddWorker(const std::string& name, std::vector<std::string> extra_flags = {}) {
    owned_workers_.push_back(
        std::make_unique<WorkerUnderTest>(*dir_, name, std::move(extra_flags)));
    workers_.push_back(owned_workers_.back().get());
    return *owned_workers_.back();
  }

  // Polls `gwctl spend` until it counts every answered request of `tally` (or more: a double
  // count ends the wait early and fails ExpectEachAnsweredRequestCountedOnce).
  void WaitUntilCounted(const LoadTally& tally) const {
    const Gwctl gwctl(*cp_);
    SpendTotals last;
    std::string last_error;
    const bool counted = PollUntil(
        [&] {
          absl::StatusOr<SpendTotals> spend = Spend(gwctl, kTeam);
          if (!spend.ok()) {
            last_error = spend.status().ToString();
            return false;
          }
          last = *spend;
          return last.requests >= tally.answered();
        },
        absl::Seconds(30), absl::Milliseconds(200));
    EXPECT_TRUE(counted) << "after 30 s gwctl spend counts " << last << " for " << tally.answered()
                         << " answered requests " << last_error;
  }

  // Call once every worker flushed and exited: nothing more can arrive, the counts are final.
  void ExpectEachAnsweredRequestCountedOnce(const LoadTally& tally) const {
    const Gwctl gwctl(*cp_);
    absl::StatusOr<SpendTotals> spend = Spend(gwctl, kTeam);
    ASSERT_TRUE(spend.ok()) << spend.status();
    EXPECT_EQ(spend->requests, tally.answered()) << *spend << " statuses " << tally.StatusText();
    EXPECT_EQ(spend->failed_requests, tally.failed) << *spend;
    EXPECT_EQ(spend->input_tokens, tally.input_tokens) << *spend;
    EXPECT_EQ(spend->output_tokens, tally.output_tokens) << *spend;
    EXPECT_EQ(spend->cost_pico_usd, tally.ok * kCostOfOneAnswerPicoUsd) << *spend;

    absl::StatusOr<json::array> records = UsageRecords(gwctl, kTeam);
    ASSERT_TRUE(records.ok()) << records.status();
    EXPECT_EQ(static_cast<int64_t>(records->size()), tally.answered());
    std::set<std::string> record_ids;
    std::multiset<std::string> request_ids;
    for (const json::value& record : *records) {
      record_ids.insert(std::string(record.at("record_id").as_string()));
      request_ids.insert(std::string(record.at("request_id").as_string()));
    }
    EXPECT_EQ(record_ids.size(), records->size()) << "a record id repeats";
    // Exactly once per answered request: none missing, none twice, none invented.
    EXPECT_TRUE(request_ids == tally.answered_request_ids)
        << "request ids differ: " << request_ids.size() << " recorded, "
        << tally.answered_request_ids.size() << " answered";
  }

  // Issue 5, test 3: with the control plane down, a worker answers requests (their records wait in
  // its spool), is SIGKILLed, and comes back with the control plane in the given order.
  void KillWorkerHoldingRecordsThenRestart(bool worker_first) {
    ASSERT_NO_FATAL_FAILURE(ConfigureServing());
    WorkerUnderTest& worker = AddWorker("worker");
    GW_ASSERT_OK(worker.Start(cp_->address()));
    ASSERT_TRUE(worker.WaitReady(version_));
    const std::string cp_address = cp_->address();
    // Records delivered before the outage: the restarted worker must not count them again.
    LoadTally tally;
    {
      ChatLoad load(worker.address(), key_, "before-outage", 1, 10);
      ASSERT_TRUE(load.WaitForAnswered(10, absl::Seconds(30))) << load.answered();
      tally = load.Stop();
    }
    WaitUntilCounted(tally);
    cp_->Kill();

    LoadTally while_down;
    {
      ChatLoad load(worker.address(), key_, "while-down", 2, 40);
      ASSERT_TRUE(load.WaitForAnswered(40, absl::Seconds(60))) << load.answered();
      while_down = load.Stop();
    }
    ASSERT_TRUE(while_down.transport_errors.empty())
        << absl::StrJoin(while_down.transport_errors, "\n");
    // Answered, so their records are (or are about to be) on disk, and nobody acknowledged them.
    std::multiset<std::string> spooled;
    ASSERT_TRUE(PollUntil(
        [&] {
          spooled = SpooledRequestIds(worker.state_dir());
          return Contains(spooled, while_down.answered_request_ids);
        },
        absl::Seconds(30)))
        << spooled.size() << " records in the spool for " << while_down.answered()
        << " answered while the control plane was down";
    tally.Add(while_down);
    // What a crash between the control plane's commit and the segment's deletion leaves behind.
    const std::string spool_copy = dir_->Path("spool-copy");
    GW_ASSERT_OK(CopySpoolSegments(worker.state_dir() + "/usage-spool", spool_copy));
    worker.Kill();

    if (worker_first) {
      GW_ASSERT_OK(worker.Start(cp_address));
      ASSERT_TRUE(worker.WaitReady(0));  // From its persisted snapshot.
      GW_ASSERT_OK(cp_->Start(cp_address));
    } else {
      GW_ASSERT_OK(cp_->Start(cp_address));
      GW_ASSERT_OK(worker.Start(cp_address));
      ASSERT_TRUE(worker.WaitReady(version_));
    }
    // The new boot's records (a new nonce in their ids) join the old ones.
    {
      ChatLoad load(worker.address(), key_, "after-restart", 1, 5);
      ASSERT_TRUE(load.WaitForAnswered(5, absl::Seconds(30))) << load.answered();
      tally.Add(load.Stop());
    }
    ASSERT_TRUE(tally.transport_errors.empty()) << absl::StrJoin(tally.transport_errors, "\n");

    WaitUntilCounted(tally);
    GW_ASSERT_OK(worker.Terminate());
    ExpectEachAnsweredRequestCountedOnce(tally);

    // The records sent while the control plane was down come back from a resurrected spool: the
    // worker sends them all again, and the control plane counts none of them twice.
    ASSERT_TRUE(SpooledRequestIds(worker.state_dir()).empty()) << "SIGTERM flushed the spool";
    GW_ASSERT_OK(CopySpoolSegments(spool_copy, worker.state_dir() + "/usage-spool"));
    ASSERT_TRUE(Contains(SpooledRequestIds(worker.state_dir()), while_down.answered_request_ids));
    GW_ASSERT_OK(worker.Start(cp_address));
    // An empty spool means every replayed record was acknowledged, after its commit.
    ASSERT_TRUE(
        PollUntil([&] { return SpooledRequestIds(worker.state_dir()).empty(); }, absl::Seconds(30)))
        << "the replayed spool was never acknowledged";
    GW_ASSERT_OK(worker.Terminate());
    ExpectEachAnsweredRequestCountedOnce(tally);
  }

  std::optional<TempDir> dir_;
  std::optional<ControlPlaneProcess> cp_;
  std::unique_ptr<FakeProviderProcess> fake_;
  std::string key_;
  int64_t version_ = 0;
  std::vector<std::unique_ptr<WorkerUnderTest>> owned_workers_;
  std::vector<const WorkerUnderTest*> workers_;
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

// Issue 5, test 2: SIGKILL the control plane under a steady load, keep the load on, bring it back
// on the same database and port: every request a client saw answered is counted exactly once.
TEST_F(UsageRecoveryTest, ControlPlaneKilledUnderLoadLosesAndDoublesNothing) {
  ASSERT_NO_FATAL_FAILURE(ConfigureServing());
  WorkerUnderTest& worker = AddWorker("worker");
  GW_ASSERT_OK(worker.Start(cp_->address()));
  ASSERT_TRUE(worker.WaitReady(version_));
  const std::string cp_address = cp_->address();

  LoadTally tally;
  {
    ChatLoad load(worker.address(), key_, "load", 3, 10000);
    ASSERT_TRUE(load.WaitForAnswered(40, absl::Seconds(30))) << load.answered();
    // The kill must find the worker's usage stream up and busy, not yet to be opened.
    ASSERT_TRUE(PollUntil(
        [&] {
          absl::StatusOr<SpendTotals> spend = Spend(Gwctl(*cp_), kTeam);
          return spend.ok() && spend->requests > 0;
        },
        absl::Seconds(30), absl::Milliseconds(100)));
    cp_->Kill();
    const int64_t at_kill = load.answered();
    ASSERT_TRUE(load.WaitForAnswered(at_kill + 60, absl::Seconds(30))) << load.answered();
    GW_ASSERT_OK(cp_->Start(cp_address));
    const int64_t at_restart = load.answered();
    ASSERT_TRUE(load.WaitForAnswered(at_restart + 60, absl::Seconds(30))) << load.answered();
    tally = load.Stop();
  }
  std::cerr << tally.answered() << " answered, by status " << tally.StatusText() << "\n";
  ASSERT_TRUE(tally.transport_errors.empty()) << absl::StrJoin(tally.transport_errors, "\n");
  EXPECT_GT(tally.ok, 0);
  EXPECT_GT(tally.failed, 0);

  WaitUntilCounted(tally);
  GW_ASSERT_OK(worker.Terminate());
  ExpectEachAnsweredRequestCountedOnce(tally);
}

TEST_F(UsageRecoveryTest, KilledWorkerDeliversItsSpoolOnceWhenItComesBackBeforeTheControlPlane) {
  KillWorkerHoldingRecordsThenRestart(/*worker_first=*/true);
}

TEST_F(UsageRecoveryTest, KilledWorkerDeliversItsSpoolOnceWhenItComesBackAfterTheControlPlane) {
  KillWorkerHoldingRecordsThenRestart(/*worker_first=*/false);
}

// Issue 5, test 4: record ids embed a per-boot nonce, so two workers misconfigured with one
// worker id still have every record counted, each once.
TEST_F(UsageRecoveryTest, TwoWorkersWithOneWorkerIdHaveEveryRecordCountedOnce) {
  ASSERT_NO_FATAL_FAILURE(ConfigureServing());
  WorkerUnderTest& first = AddWorker("twin-1", {"--worker-id", "twin"});
  WorkerUnderTest& second = AddWorker("twin-2", {"--worker-id", "twin"});
  GW_ASSERT_OK(first.Start(cp_->address()));
  GW_ASSERT_OK(second.Start(cp_->address()));
  ASSERT_TRUE(first.WaitReady(version_));
  ASSERT_TRUE(second.WaitReady(version_));

  LoadTally tally;
  {
    ChatLoad via_first(first.address(), key_, "via-first", 2, 30);
    ChatLoad via_second(second.address(), key_, "via-second", 2, 30);
    ASSERT_TRUE(via_first.WaitForAnswered(30, absl::Seconds(60))) << via_first.answered();
    ASSERT_TRUE(via_second.WaitForAnswered(30, absl::Seconds(60))) << via_second.answered();
    tally = via_first.Stop();
    tally.Add(via_second.Stop());
  }
  ASSERT_TRUE(tally.transport_errors.empty()) << absl::StrJoin(tally.transport_errors, "\n");

  WaitUntilCounted(tally);
  GW_ASSERT_OK(first.Terminate());
  GW_ASSERT_OK(second.Terminate());
  ExpectEachAnsweredRequestCountedOnce(tally);

  // Each worker's records carry its own boot nonce: "twin-<nonce>-<counter>".
  absl::StatusOr<json::array> records = UsageRecords(Gwctl(*cp_), kTeam);
  ASSERT_TRUE(records.ok()) << records.status();
  std::map<std::string, std::set<std::string>> request_prefixes_by_boot;
  for (const json::value& record : *records) {
    EXPECT_EQ(record.at("worker_id").as_string(), "twin");
    const std::string record_id(record.at("record_id").as_string());
    const std::string request_id(record.at("request_id").as_string());
    request_prefixes_by_boot[record_id.substr(0, record_id.rfind('-'))].insert(
        request_id.substr(0, request_id.find('-', 4)));
  }
  ASSERT_EQ(request_prefixes_by_boot.size(), 2u);
  for (const auto& [boot, request_prefixes] : request_prefixes_by_boot) {
    EXPECT_EQ(request_prefixes.size(), 1u) << boot << " reported requests of both workers";
  }
}

// Issue 5, test 4: the client's x-request-id is never the idempotency key; a client that sends
// the same one twice made two requests.
TEST_F(UsageRecoveryTest, TwoRequestsWithOneRequestIdCountTwice) {
  ASSERT_NO_FATAL_FAILURE(ConfigureServing());
  WorkerUnderTest& worker = AddWorker("worker");
  GW_ASSERT_OK(worker.Start(cp_->address()));
  ASSERT_TRUE(worker.WaitReady(version_));

  LoadTally tally;
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<HttpResponse> response =
        HttpRequest(worker.address(), "POST", "/v1/chat/completions",
                    {{"authorization", absl::StrCat("Bearer ", key_)},
                     {"content-type", "application/json"},
                     {"x-request-id", "client-retry-7"}},
                    ChatBody(Outcome::kAnswered), absl::Seconds(20));
    ASSERT_TRUE(response.ok()) << response.status();
    ASSERT_EQ(response->status, 200) << response->body;
    EXPECT_EQ(response->headers["x-request-id"], "client-retry-7");
    tally.answered_request_ids.insert("client-retry-7");
    ++tally.statuses[200];
    ++tally.ok;
    const json::value body = json::parse(response->body);
    tally.input_tokens += body.at("usage").at("prompt_tokens").to_number<int64_t>();
    tally.output_tokens += body.at("usage").at("completion_tokens").to_number<int64_t>();
  }

  WaitUntilCounted(tally);
  GW_ASSERT_OK(worker.Terminate());
  ExpectEachAnsweredRequestCountedOnce(tally);
}

}  // namespace
}  // namespace gw::testing
