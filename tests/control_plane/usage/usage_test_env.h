// Test helpers for usage accounting: a control plane's store and UsageAccounting on a real
// SQLite file in a private temporary directory, served on a real loopback gRPC server, and a
// worker-side reporter that sends batches and reads their acks.
//   UsageTestServer server;  TestReporter reporter(server.channel(), kWorkerToken);
//   std::optional<UsageAck> ack = reporter.Send(MakeBatch(1, {MakeRecord("r1", "team-a")}));
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "control_plane/auth/token_auth.h"
#include "control_plane/store/config_store.h"
#include "control_plane/store/database.h"
#include "control_plane/usage/usage_accounting.h"
#include "control_plane/usage/usage_time.h"
#include "gateway/config/v1/config.pb.h"
#include "gateway/usage/v1/usage.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace gw::testing {

inline constexpr char kAdminToken[] = "admin-token-0123456789abcdef";
inline constexpr char kWorkerToken[] = "worker-token-0123456789abcdef";

using gateway::usage::v1::UsageAck;
using gateway::usage::v1::UsageBatch;
using gateway::usage::v1::UsageRecord;

// A directory under the system temp dir, removed with everything in it at destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "gw-usage-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// 2026-03-10T10:15:00Z, a fixed instant for reports over fixed dates.
inline int64_t March10At1015() {
  return absl::ToUnixMicros(
      absl::FromCivil(absl::CivilSecond(2026, 3, 10, 10, 15, 0), absl::UTCTimeZone()));
}

struct RecordSpec {
  std::string team = "search";
  std::string key_id = "key-1";
  std::string model = "gpt-4o";
  int64_t ts_micros = March10At1015();
  int64_t input_tokens = 100;
  int64_t cached_input_tokens = 10;
  int64_t output_tokens = 50;
  int64_t cost_pico_usd = 1'234'567;
  int32_t status_code = 200;
  std::string request_id = "req-1";
};

inline UsageRecord MakeRecord(const std::string& record_id, const RecordSpec& spec = {}) {
  UsageRecord record;
  record.set_record_id(record_id);
  record.set_request_id(spec.request_id);
  *record.mutable_timestamp() = cp::TimestampFromMicros(spec.ts_micros);
  record.set_worker_id("worker-1");
  record.set_team(spec.team);
  record.set_key_id(spec.key_id);
  record.set_model(spec.model);
  record.set_provider("openai");
  record.set_upstream_model(spec.model + "-2024-08-06");
  record.set_input_tokens(spec.input_tokens);
  record.set_cached_input_tokens(spec.cached_input_tokens);
  record.set_output_tokens(spec.output_tokens);
  record.set_latency_us(12'345);
  record.set_time_to_first_byte_us(2'345);
  record.set_status_code(spec.status_code);
  if (spec.status_code >= 400) record.set_error_code("rate_limit_exceeded");
  record.set_cost_pico_usd(spec.cost_pico_usd);
  record.set_streamed(true);
  return record;
}

inline UsageBatch MakeBatch(uint64_t batch_id, std::vector<UsageRecord> records) {
  UsageBatch batch;
  batch.set_batch_id(batch_id);
  batch.set_worker_id("worker-1");
  for (UsageRecord& record : records) *batch.add_records() = std::move(record);
  return batch;
}

// The store, UsageAccounting and a gRPC server on 127.0.0.1 with a free port. Restart() stops
// everything and opens the same database file again, as a restarted control plane would.
class UsageTestServer {
 public:
  explicit UsageTestServer(cp::UsageAccounting::Options options = FastOptions())
      : options_(std::move(options)) {
    Open();
  }
  ~UsageTestServer() { Close(); }

  // Budget states every 10 ms at most, so that tests wait little.
  static cp::UsageAccounting::Options FastOptions() {
    cp::UsageAccounting::Options options;
    options.spend.min_interval = absl::Milliseconds(10);
    options.spend.period_check_interval = absl::Milliseconds(50);
    return options;
  }

  void Restart() {
    Close();
    Open();
  }

  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  cp::ConfigStore& store() { return *store_; }
  cp::UsageAccounting& usage() { return *usage_; }
  std::string db_path() const { return dir_.File("gateway.db"); }

  // The newest budget state published, or nullopt.
  std::optional<gateway::config::v1::BudgetState> LatestState() const {
    std::lock_guard lock(mu_);
    if (states_.empty()) return std::nullopt;
    return states_.back();
  }

  // Waits until a published state satisfies `ok`; returns it, or nullopt after `timeout`.
  std::optional<gateway::config::v1::BudgetState> WaitForState(
      const std::function<bool(const gateway::config::v1::BudgetState&)>& ok,
      absl::Duration timeout = absl::Seconds(5)) const {
    const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
    std::unique_lock lock(mu_);
    size_t seen = 0;
    while (true) {
      for (; seen < states_.size(); ++seen) {
        if (ok(states_[seen])) return states_[seen];
      }
      const size_t count = states_.size();
      if (!published_.wait_until(lock, deadline, [&] { return states_.size() != count; })) {
        return std::nullopt;
      }
    }
  }

  std::vector<gateway::config::v1::BudgetState> States() const {
    std::lock_guard lock(mu_);
    return states_;
  }

 private:
  void Open() {
    auto store = cp::ConfigStore::Open(db_path());
    if (!store.ok()) {
      ADD_FAILURE() << "cannot open the store: " << store.status();
      return;
    }
    store_ = *std::move(store);
    auto usage = cp::UsageAccounting::Start(
        store_->database(), auth_, [this] { return store_->Current(); },
        [this](const gateway::config::v1::BudgetState& state) {
          {
            std::lock_guard lock(mu_);
            states_.push_back(state);
          }
          published_.notify_all();
        },
        options_);
    if (!usage.ok()) {
      ADD_FAILURE() << "cannot start usage accounting: " << usage.status();
      return;
    }
    usage_ = *std::move(usage);
    store_->AddVersionListener([this](int64_t) { usage_->OnConfigChanged(); });
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(usage_->service());
    server_ = builder.BuildAndStart();
    if (server_ == nullptr || port == 0) {
      ADD_FAILURE() << "cannot start the test server";
      return;
    }
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                   grpc::InsecureChannelCredentials());
  }

  void Close() {
    if (usage_ != nullptr) usage_->CloseStreams();
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
      server_->Wait();
    }
    server_.reset();
    usage_.reset();
    store_.reset();
    channel_.reset();
  }

  TempDir dir_;
  const cp::UsageAccounting::Options options_;
  cp::TokenAuth auth_{kAdminToken, kWorkerToken};
  // std:: rather than absl::Mutex: Debian's abseil is not built for ThreadSanitizer.
  mutable std::mutex mu_;
  mutable std::condition_variable published_;
  std::vector<gateway::config::v1::BudgetState> states_;
  std::unique_ptr<cp::ConfigStore> store_;
  std::unique_ptr<cp::UsageAccounting> usage_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

// A worker's ReportUsage stream, driven synchronously: Send writes one batch and reads its ack.
class TestReporter {
 public:
  // `token` empty: no authorization metadata at all.
  TestReporter(const std::shared_ptr<grpc::Channel>& channel, const std::string& token) {
    stub_ = gateway::usage::v1::UsageReporting::NewStub(channel);
    if (!token.empty()) context_.AddMetadata("authorization", "Bearer " + token);
    // A safety net so that a broken server fails the test instead of hanging it.
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    stream_ = stub_->ReportUsage(&context_);
  }
  ~TestReporter() {
    if (!finished_) {
      context_.TryCancel();
      stream_->Finish().IgnoreError();
    }
  }

  // The batch's ack, or nullopt when the stream ended instead (see Finish for its status).
  std::optional<UsageAck> Send(const UsageBatch& batch) {
    if (!stream_->Write(batch)) return std::nullopt;
    UsageAck ack;
    if (!stream_->Read(&ack)) return std::nullopt;
    return ack;
  }
  bool Write(const UsageBatch& batch) { return stream_->Write(batch); }
  std::optional<UsageAck> Read() {
    UsageAck ack;
    if (!stream_->Read(&ack)) return std::nullopt;
    return ack;
  }

  // Half-closes and returns the stream's final status.
  grpc::Status Finish() {
    stream_->WritesDone();
    UsageAck ignored;
    while (stream_->Read(&ignored)) {
    }
    finished_ = true;
    return stream_->Finish();
  }

 private:
  std::unique_ptr<gateway::usage::v1::UsageReporting::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<UsageBatch, UsageAck>> stream_;
  bool finished_ = false;
};

// A one-shot event (absl::Notification is invisible to ThreadSanitizer in Debian's abseil).
class Signal {
 public:
  // Notifies under the lock: the waiter may destroy the Signal as soon as it sees the flag.
  void Notify() {
    std::lock_guard lock(mu_);
    notified_ = true;
    cv_.notify_all();
  }
  bool WaitFor(absl::Duration timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [this] { return notified_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;
};

// One integer from a second, independent connection to the database file.
inline int64_t CountFromSecondConnection(const std::string& db_path, const std::string& sql) {
  auto db = cp::Database::Open(db_path);
  if (!db.ok()) {
    ADD_FAILURE() << db.status();
    return -1;
  }
  auto query = (*db)->Prepare(sql);
  if (!query.ok()) {
    ADD_FAILURE() << query.status();
    return -1;
  }
  auto row = query->Step();
  if (!row.ok() || !*row) {
    ADD_FAILURE() << "no row for " << sql;
    return -1;
  }
  return query->ColumnInt64(0);
}

}  // namespace gw::testing
