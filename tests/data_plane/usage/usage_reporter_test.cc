// The reporter against the real control plane's UsageReporting service (real SQLite file, real
// gRPC on loopback), stopped and started on the same port to play an outage.
#include "data_plane/usage/usage_reporter.h"

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "data_plane/usage/record_id.h"
#include "data_plane/usage/usage_spool.h"
#include "gtest/gtest.h"
#include "poll_until.h"
#include "usage/usage_test_env.h"

namespace gw::dp {
namespace {

using gw::testing::CountFromSecondConnection;
using gw::testing::kAdminToken;
using gw::testing::kWorkerToken;
using gw::testing::MakeRecord;

// What the reporter hands the spool: the records serialized.
std::vector<std::string> Serialized(const std::vector<gateway::usage::v1::UsageRecord>& records) {
  std::vector<std::string> payloads;
  for (const auto& record : records) payloads.push_back(record.SerializeAsString());
  return payloads;
}
using gw::testing::PollUntil;

// The control plane's usage side on a database file that survives Stop/Start, listening on the
// same loopback port every time it starts.
class ControlPlaneUsage {
 public:
  explicit ControlPlaneUsage(std::string db_path) : db_path_(std::move(db_path)) {}
  ~ControlPlaneUsage() { Stop(); }

  void Start() {
    auto store = cp::ConfigStore::Open(db_path_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    auto usage = cp::UsageAccounting::Start(
        store_->database(), auth_, [this] { return store_->Current(); },
        [](const gateway::config::v1::BudgetState&) {},
        gw::testing::UsageTestServer::FastOptions());
    ASSERT_TRUE(usage.ok()) << usage.status();
    usage_ = *std::move(usage);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort(absl::StrCat("127.0.0.1:", port_), grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(usage_->service());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port, 0);
    port_ = port;
  }

  void Stop() {
    if (usage_ != nullptr) usage_->CloseStreams();
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
      server_->Wait();
    }
    server_.reset();
    usage_.reset();
    store_.reset();
  }

  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  int64_t StoredRecords() const {
    return CountFromSecondConnection(db_path_, "SELECT COUNT(*) FROM usage_records");
  }
  int64_t BatchesReceived() const { return usage_->ingestor().batches_submitted(); }
  // While held, nothing commits, so no ack goes out.
  std::unique_lock<std::mutex> HoldDatabase() { return store_->database().Lock(); }

 private:
  const std::string db_path_;
  int port_ = 0;
  cp::TokenAuth auth_{kAdminToken, kWorkerToken};
  std::unique_ptr<cp::ConfigStore> store_;
  std::unique_ptr<cp::UsageAccounting> usage_;
  std::unique_ptr<grpc::Server> server_;
};

class UsageReporterTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(control_plane_.Start()); }

  std::unique_ptr<UsageSpool> OpenSpool(const std::string& directory) {
    auto spool = UsageSpool::Open({directory});
    EXPECT_TRUE(spool.ok()) << spool.status();
    return spool.ok() ? *std::move(spool) : nullptr;
  }

  UsageReporterOptions Options() {
    UsageReporterOptions options;
    options.control_plane = control_plane_.address();
    options.worker_token = kWorkerToken;
    options.worker_id = "worker-1";
    options.max_batch_records = 50;
    options.linger = absl::Milliseconds(20);
    options.max_backoff = absl::Milliseconds(300);
    return options;
  }

  void SubmitRecords(UsageReporter& reporter, int count) {
    for (int i = 0; i < count; ++i) ASSERT_TRUE(reporter.Submit(MakeRecord(ids_.Next())));
  }

  gw::testing::TempDir dir_;
  std::string spool_dir_ = dir_.File("usage-spool");
  ControlPlaneUsage control_plane_{dir_.File("gateway.db")};
  RecordIdGenerator ids_{"worker-1"};
};

TEST_F(UsageReporterTest, BatchesAreAcknowledgedAndTheSpoolEmptied) {
  auto spool = OpenSpool(spool_dir_);
  UsageReporter reporter(Options(), spool.get());
  reporter.Start();
  SubmitRecords(reporter, 120);
  ASSERT_TRUE(PollUntil([&] { return control_plane_.StoredRecords() == 120; }, absl::Seconds(10)));
  ASSERT_TRUE(PollUntil([&] { return spool->pending_count() == 0; }, absl::Seconds(10)));
  EXPECT_EQ(spool->disk_bytes(), 0);
  EXPECT_TRUE(reporter.connected());
}

TEST_F(UsageReporterTest, ARecordReachesTheControlPlaneWithinOneSecond) {
  auto spool = OpenSpool(spool_dir_);
  UsageReporterOptions options = Options();
  options.linger = UsageReporterOptions().linger;
  options.max_batch_records = UsageReporterOptions().max_batch_records;
  UsageReporter reporter(options, spool.get());
  reporter.Start();
  // The first record also waits for the connection; the second shows the steady state.
  SubmitRecords(reporter, 1);
  ASSERT_TRUE(PollUntil([&] { return control_plane_.StoredRecords() == 1; }, absl::Seconds(5)));
  const absl::Time submitted = absl::Now();
  SubmitRecords(reporter, 1);
  ASSERT_TRUE(PollUntil([&] { return control_plane_.StoredRecords() == 2; }, absl::Seconds(5)));
  EXPECT_LT(absl::Now() - submitted, absl::Seconds(1));
}

TEST_F(UsageReporterTest, ConcurrentSubmittersAreAllDeliveredOnce) {
  auto spool = OpenSpool(spool_dir_);
  UsageReporter reporter(Options(), spool.get());
  reporter.Start();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back([&] { SubmitRecords(reporter, 250); });
  for (std::thread& thread : threads) thread.join();
  ASSERT_TRUE(reporter.Flush(absl::Now() + absl::Seconds(20)).ok());
  EXPECT_EQ(control_plane_.StoredRecords(), 1000);
  EXPECT_EQ(reporter.refused_records(), 0);
}

TEST_F(UsageReporterTest, FlushDeliversEverythingBeforeReturning) {
  auto spool = OpenSpool(spool_dir_);
  UsageReporterOptions options = Options();
  options.linger = absl::Seconds(30);  // Only Flush makes the batch leave early.
  options.max_batch_records = 10'000;
  UsageReporter reporter(options, spool.get());
  reporter.Start();
  SubmitRecords(reporter, 75);
  const absl::Status flushed = reporter.Flush(absl::Now() + absl::Seconds(10));
  EXPECT_TRUE(flushed.ok()) << flushed;
  EXPECT_EQ(control_plane_.StoredRecords(), 75);
  EXPECT_EQ(spool->pending_count(), 0u);
}

TEST_F(UsageReporterTest, OutageKeepsRecordsSpooledAndDeliversThemOnceWhenBack) {
  control_plane_.Stop();
  {
    auto spool = OpenSpool(spool_dir_);
    UsageReporter reporter(Options(), spool.get());
    reporter.Start();
    SubmitRecords(reporter, 30);
    EXPECT_EQ(reporter.Flush(absl::Now() + absl::Milliseconds(500)).code(),
              absl::StatusCode::kDeadlineExceeded);
    EXPECT_EQ(spool->pending_count(), 30u);
    reporter.Stop();  // A worker restart during the outage.
  }
  auto spool = OpenSpool(spool_dir_);
  EXPECT_EQ(spool->pending_count(), 30u);
  UsageReporter reporter(Options(), spool.get());
  reporter.Start();
  SubmitRecords(reporter, 5);
  ASSERT_NO_FATAL_FAILURE(control_plane_.Start());
  ASSERT_TRUE(PollUntil([&] { return spool->pending_count() == 0; }, absl::Seconds(15)));
  EXPECT_EQ(control_plane_.StoredRecords(), 35);
}

TEST_F(UsageReporterTest, BacklogIsSentInBiggerBatches) {
  auto spool = OpenSpool(spool_dir_);
  // What an outage leaves: far more than one batch waiting when the stream opens.
  std::vector<gateway::usage::v1::UsageRecord> backlog;
  for (int i = 0; i < 1'000; ++i) backlog.push_back(MakeRecord(ids_.Next()));
  ASSERT_TRUE(spool->Append(Serialized(backlog)).ok());
  UsageReporterOptions options = Options();  // Batches of 50 when not behind.
  options.backlog_batch_records = 500;
  UsageReporter reporter(options, spool.get());
  reporter.Start();
  ASSERT_TRUE(PollUntil([&] { return spool->pending_count() == 0; }, absl::Seconds(15)));
  EXPECT_EQ(control_plane_.StoredRecords(), 1'000);
  // Two batches of 500 rather than twenty of 50.
  EXPECT_EQ(control_plane_.BatchesReceived(), 2);
}

TEST_F(UsageReporterTest, BacklogKeepsTwoBatchesInFlight) {
  auto spool = OpenSpool(spool_dir_);
  std::vector<gateway::usage::v1::UsageRecord> backlog;
  for (int i = 0; i < 3'000; ++i) backlog.push_back(MakeRecord(ids_.Next()));
  ASSERT_TRUE(spool->Append(Serialized(backlog)).ok());
  UsageReporterOptions options = Options();
  options.backlog_batch_records = 500;
  UsageReporter reporter(options, spool.get());
  {
    std::unique_lock busy = control_plane_.HoldDatabase();
    reporter.Start();
    // No ack can come back, yet a second batch goes out: two are in flight at once.
    EXPECT_TRUE(
        PollUntil([&] { return control_plane_.BatchesReceived() == 2; }, absl::Seconds(15)));
    EXPECT_EQ(spool->pending_count(), 3'000u);
  }
  ASSERT_TRUE(PollUntil([&] { return spool->pending_count() == 0; }, absl::Seconds(15)));
  EXPECT_EQ(control_plane_.StoredRecords(), 3'000);
  EXPECT_EQ(control_plane_.BatchesReceived(), 6);
}

TEST_F(UsageReporterTest, ReplayAfterACrashBeforeDeletionIsCountedOnce) {
  auto spool = OpenSpool(spool_dir_);
  ASSERT_TRUE(spool->Append(Serialized({MakeRecord(ids_.Next()), MakeRecord(ids_.Next())})).ok());
  // The spool as a worker killed after the control plane's commit but before the delete left it.
  const std::string crashed_copy = dir_.File("crashed-spool");
  std::filesystem::copy(spool_dir_, crashed_copy);
  {
    UsageReporter reporter(Options(), spool.get());
    reporter.Start();
    ASSERT_TRUE(reporter.Flush(absl::Now() + absl::Seconds(10)).ok());
  }
  ASSERT_EQ(control_plane_.StoredRecords(), 2);
  auto replayed = OpenSpool(crashed_copy);
  ASSERT_EQ(replayed->pending_count(), 2u);
  UsageReporter reporter(Options(), replayed.get());
  reporter.Start();
  ASSERT_TRUE(reporter.Flush(absl::Now() + absl::Seconds(10)).ok());
  EXPECT_EQ(replayed->pending_count(), 0u);
  EXPECT_EQ(control_plane_.StoredRecords(), 2);
}

TEST_F(UsageReporterTest, InvalidRecordIsSetAsideAndTheRestDelivered) {
  auto spool = OpenSpool(spool_dir_);
  UsageReporter reporter(Options(), spool.get());
  std::vector<gateway::usage::v1::UsageRecord> records;
  for (int i = 0; i < 6; ++i) records.push_back(MakeRecord(ids_.Next()));
  records[3].set_input_tokens(-1);  // Refused by the control plane, whole batch with it.
  ASSERT_TRUE(spool->Append(Serialized(records)).ok());
  reporter.Start();
  ASSERT_TRUE(reporter.Flush(absl::Now() + absl::Seconds(15)).ok());
  EXPECT_EQ(control_plane_.StoredRecords(), 5);
  EXPECT_EQ(reporter.set_aside_records(), 1);
  EXPECT_EQ(spool->pending_count(), 0u);
  EXPECT_TRUE(std::filesystem::exists(spool_dir_ + "/rejected.log"));
}

// The control plane parses what workers send (UsageBatchBytes) as a UsageBatch.
TEST(UsageBatchBytesTest, IsReadAsTheUsageBatchItMirrors) {
  gateway::usage::v1::UsageBatchBytes sent;
  sent.set_batch_id(42);
  sent.set_worker_id("worker-7");
  const std::vector<gateway::usage::v1::UsageRecord> records = {MakeRecord("r1"), MakeRecord("r2")};
  for (const std::string& payload : Serialized(records)) sent.add_records(payload);
  gateway::usage::v1::UsageBatch received;
  ASSERT_TRUE(received.ParseFromString(sent.SerializeAsString()));
  EXPECT_EQ(received.batch_id(), 42u);
  EXPECT_EQ(received.worker_id(), "worker-7");
  ASSERT_EQ(received.records_size(), 2);
  EXPECT_EQ(received.records(0).SerializeAsString(), records[0].SerializeAsString());
  EXPECT_EQ(received.records(1).record_id(), "r2");
  // Nothing unknown or lost: it serializes back to the very bytes sent.
  EXPECT_EQ(received.SerializeAsString(), sent.SerializeAsString());
}

TEST_F(UsageReporterTest, FullQueueRefusesAndCounts) {
  auto spool = OpenSpool(spool_dir_);
  UsageReporterOptions options = Options();
  options.max_queued_records = 2;
  UsageReporter reporter(options, spool.get());  // Not started: nothing drains the queue.
  EXPECT_TRUE(reporter.Submit(MakeRecord(ids_.Next())));
  EXPECT_TRUE(reporter.Submit(MakeRecord(ids_.Next())));
  EXPECT_FALSE(reporter.Submit(MakeRecord(ids_.Next())));
  EXPECT_EQ(reporter.refused_records(), 1);
  reporter.Stop();  // Stop spools what was queued.
  EXPECT_EQ(spool->pending_count(), 2u);
}

}  // namespace
}  // namespace gw::dp
