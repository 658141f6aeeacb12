// End-to-end test of config distribution: the real control plane pushes snapshots over gRPC
// streams to real gw-data-plane workers, which keep serving through control-plane outages.
#include <sqlite3.h>

#include <csignal>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "boost/json.hpp"
#include "gateway/discovery/v1/discovery.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/integration/harness/http_client.h"
#include "tests/integration/harness/stack.h"

namespace gw::testing {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using ::testing::Not;

// GET /v1/models with `key`; returns the HTTP status, or -1 when the worker is unreachable.
int ModelsStatus(const WorkerProcess& worker, const std::string& key,
                 std::vector<std::string>* models = nullptr) {
  auto response = HttpRequest(worker.http_address(), "GET", "/v1/models",
                              {{"authorization", absl::StrCat("Bearer ", key)}}, "");
  if (!response.ok()) return -1;
  if (models != nullptr && response->status == 200) {
    models->clear();
    const json::value body = json::parse(response->body);
    for (const auto& m : body.as_object().at("data").as_array()) {
      models->emplace_back(m.as_object().at("id").as_string());
    }
  }
  return response->status;
}

int64_t ReadyVersion(const WorkerProcess& worker) {
  auto response = HttpRequest(worker.http_address(), "GET", "/readyz", {}, "");
  if (!response.ok() || response->status != 200) return 0;
  return json::parse(response->body).as_object().at("config_version").to_number<int64_t>();
}

class ConfigDistributionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(cp_.Start().ok()) << cp_.Log();
    ASSERT_EQ(gwctl_.Run({"team", "create", "search"}).exit_code, 0);
    ASSERT_EQ(gwctl_
                  .Run({"provider", "create", "local", "--type", "openai-compatible", "--base-url",
                        "http://127.0.0.1:9/v1"})
                  .exit_code,
              0);
    for (const char* model : {"small", "large"}) {
      ASSERT_EQ(gwctl_.Run({"model", "create", model, "--provider", "local"}).exit_code, 0);
    }
  }

  std::string CreateKey(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"key", "create", "--team", "search"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto key = gwctl_.Json(args);
    EXPECT_TRUE(key.ok()) << key.status();
    return key.ok() ? std::string(key->as_object().at("key").as_string()) : "";
  }

  // Waits until every worker has applied the control plane's current version.
  void ExpectWorkersCaughtUp(const std::vector<const WorkerProcess*>& workers,
                             absl::Duration deadline) {
    auto version = gwctl_.Version();
    ASSERT_TRUE(version.ok()) << version.status();
    for (const WorkerProcess* worker : workers) {
      EXPECT_TRUE(PollUntil([&] { return ReadyVersion(*worker) == *version; }, deadline))
          << "worker stuck at " << ReadyVersion(*worker) << ", want " << *version << "\n"
          << worker->Log();
    }
  }

  TempDir dir_ = TempDir::Create().value();
  ControlPlaneProcess cp_{dir_};
  Gwctl gwctl_{cp_};
};

// Test 1: key creation, revocation and expiry, and a change of the team's allowed models, take
// effect on two workers within one second of the gwctl command returning.
TEST_F(ConfigDistributionTest, ChangesReachTwoWorkersWithinOneSecond) {
  WorkerProcess a(dir_, "worker-a"), b(dir_, "worker-b");
  ASSERT_TRUE(a.Start(cp_.address()).ok()) << a.Log();
  ASSERT_TRUE(b.Start(cp_.address()).ok()) << b.Log();
  ExpectWorkersCaughtUp({&a, &b}, absl::Seconds(10));

  const std::string key = CreateKey();
  absl::Time returned = absl::Now();
  for (const WorkerProcess* worker : {&a, &b}) {
    EXPECT_TRUE(PollUntil([&] { return ModelsStatus(*worker, key) == 200; },
                          absl::Seconds(1) - (absl::Now() - returned)))
        << "new key not accepted within 1 s";
  }
  std::cout << "key create reached both workers " << absl::FormatDuration(absl::Now() - returned)
            << " after gwctl returned\n";

  ASSERT_EQ(gwctl_.Run({"team", "update", "search", "--allowed-models", "small"}).exit_code, 0);
  returned = absl::Now();
  for (const WorkerProcess* worker : {&a, &b}) {
    std::vector<std::string> models;
    EXPECT_TRUE(PollUntil(
        [&] {
          return ModelsStatus(*worker, key, &models) == 200 &&
                 models == std::vector<std::string>{"small"};
        },
        absl::Seconds(1) - (absl::Now() - returned)))
        << "allowed models not narrowed within 1 s";
  }
  std::cout << "allowed-models change reached both workers "
            << absl::FormatDuration(absl::Now() - returned) << " after gwctl returned\n";

  auto listed = gwctl_.Json({"key", "list", "--team", "search"});
  ASSERT_TRUE(listed.ok());
  const std::string id(listed->as_array().at(0).as_object().at("id").as_string());
  ASSERT_EQ(gwctl_.Run({"key", "revoke", id}).exit_code, 0);
  returned = absl::Now();
  for (const WorkerProcess* worker : {&a, &b}) {
    EXPECT_TRUE(PollUntil([&] { return ModelsStatus(*worker, key) == 401; },
                          absl::Seconds(1) - (absl::Now() - returned)))
        << "revoked key still accepted after 1 s";
  }
  std::cout << "revocation reached both workers " << absl::FormatDuration(absl::Now() - returned)
            << " after gwctl returned\n";

  // Expiry needs no new version: each worker checks expires_at on its own clock.
  const absl::Time expires = absl::Now() + absl::Seconds(3);
  const std::string expiring =
      CreateKey({"--expires", absl::FormatTime(absl::RFC3339_full, expires, absl::UTCTimeZone())});
  for (const WorkerProcess* worker : {&a, &b}) {
    EXPECT_TRUE(
        PollUntil([&] { return ModelsStatus(*worker, expiring) == 200; }, absl::Seconds(1)));
  }
  for (const WorkerProcess* worker : {&a, &b}) {
    EXPECT_TRUE(PollUntil([&] { return ModelsStatus(*worker, expiring) == 401; },
                          expires + absl::Seconds(1) - absl::Now()))
        << "expired key still accepted 1 s after its expiry";
  }
}

// Test 2: a worker started while the control plane is down serves from its persisted snapshot
// and catches up once the control plane is back.
TEST_F(ConfigDistributionTest, WorkerServesPersistedSnapshotWhileControlPlaneIsDown) {
  const std::string key = CreateKey();
  WorkerProcess worker(dir_, "worker");
  ASSERT_TRUE(worker.Start(cp_.address()).ok()) << worker.Log();
  ExpectWorkersCaughtUp({&worker}, absl::Seconds(10));
  const int64_t applied = ReadyVersion(worker);
  ASSERT_TRUE(worker.Stop().ok());

  const std::string address = cp_.address();
  cp_.Kill();
  ASSERT_TRUE(worker.Start(address).ok()) << worker.Log();
  EXPECT_TRUE(PollUntil([&] { return ReadyVersion(worker) == applied; }, absl::Seconds(5)))
      << worker.Log();
  EXPECT_EQ(ModelsStatus(worker, key), 200);

  ASSERT_TRUE(cp_.Start(address).ok()) << cp_.Log();
  const std::string newer = CreateKey();
  ExpectWorkersCaughtUp({&worker}, absl::Seconds(5));
  EXPECT_EQ(ModelsStatus(worker, newer), 200);
}

// Test 3: a snapshot the worker cannot apply is NACKed; the worker keeps the old version, the
// control plane records the error for gwctl status and does not resend that version.
TEST_F(ConfigDistributionTest, NackKeepsOldVersionAndIsShownInStatus) {
  const std::string key = CreateKey();
  WorkerProcess worker(dir_, "worker");
  ASSERT_TRUE(worker.Start(cp_.address()).ok()) << worker.Log();
  ExpectWorkersCaughtUp({&worker}, absl::Seconds(10));
  const int64_t good = ReadyVersion(worker);

  // A routing strategy beyond fallback needs a feature level no worker implements yet.
  ASSERT_EQ(
      gwctl_.Run({"route", "set", "chat", "--primary", "small", "--strategy", "cost"}).exit_code,
      0);
  const int64_t rejected = good + 1;
  json::object status;
  EXPECT_TRUE(PollUntil(
      [&] {
        auto s = gwctl_.Json({"status"});
        if (!s.ok() || s->as_object().at("workers").as_array().empty()) return false;
        status = s->as_object().at("workers").as_array().at(0).as_object();
        return status.at("last_nack_version").to_number<int64_t>() == rejected;
      },
      absl::Seconds(5)))
      << cp_.Log();
  EXPECT_THAT(std::string(status.at("last_nack_message").as_string()), HasSubstr("feature level"));
  EXPECT_EQ(status.at("applied_version").to_number<int64_t>(), good);
  EXPECT_TRUE(status.at("connected").as_bool());
  EXPECT_EQ(ReadyVersion(worker), good);
  EXPECT_EQ(ModelsStatus(worker, key), 200);

  CommandResult table = gwctl_.Run({"status"});
  EXPECT_THAT(table.stdout_text, HasSubstr("feature level"));

  // The next version is sent and applied; had the rejected one been resent on the stream, the
  // worker would have NACKed it again before reaching this one.
  ASSERT_EQ(gwctl_.Run({"route", "set", "chat", "--primary", "small", "--strategy", "fallback"})
                .exit_code,
            0);
  ExpectWorkersCaughtUp({&worker}, absl::Seconds(5));
  auto s = gwctl_.Json({"status"});
  ASSERT_TRUE(s.ok());
  status = s->as_object().at("workers").as_array().at(0).as_object();
  EXPECT_EQ(status.at("applied_version").to_number<int64_t>(), rejected + 1);
  std::vector<std::string> nacks;
  for (absl::string_view line : absl::StrSplit(worker.Log(), '\n')) {
    if (absl::StrContains(line, "NACK")) nacks.emplace_back(line);
  }
  EXPECT_EQ(nacks.size(), 1u) << absl::StrJoin(nacks, "\n");
}

// Test 4: killing the control plane with SIGKILL: workers keep serving throughout and are back
// on the stream within five seconds of its restart.
TEST_F(ConfigDistributionTest, WorkersSurviveControlPlaneKill) {
  const std::string key = CreateKey();
  WorkerProcess a(dir_, "worker-a"), b(dir_, "worker-b");
  ASSERT_TRUE(a.Start(cp_.address()).ok()) << a.Log();
  ASSERT_TRUE(b.Start(cp_.address()).ok()) << b.Log();
  ExpectWorkersCaughtUp({&a, &b}, absl::Seconds(10));

  const std::string address = cp_.address();
  cp_.Kill();
  for (int i = 0; i < 20; ++i) {
    for (const WorkerProcess* worker : {&a, &b}) ASSERT_EQ(ModelsStatus(*worker, key), 200);
  }
  ASSERT_TRUE(cp_.Start(address).ok()) << cp_.Log();
  const absl::Time restarted = absl::Now();
  EXPECT_TRUE(PollUntil(
      [&] {
        auto s = gwctl_.Json({"status"});
        if (!s.ok()) return false;
        int connected = 0;
        for (const auto& w : s->as_object().at("workers").as_array()) {
          connected += w.as_object().at("connected").as_bool() ? 1 : 0;
        }
        return connected == 2;
      },
      absl::Seconds(5)))
      << "workers not back on the stream within 5 s";
  const std::string newer = CreateKey();
  for (const WorkerProcess* worker : {&a, &b}) {
    EXPECT_TRUE(PollUntil([&] { return ModelsStatus(*worker, newer) == 200; },
                          restarted + absl::Seconds(6) - absl::Now()));
  }
}

// Test 5: the admin token cannot open a config stream; the worker token cannot call the Admin
// API.
TEST_F(ConfigDistributionTest, TokensAreNotInterchangeable) {
  auto channel = grpc::CreateChannel(cp_.address(), grpc::InsecureChannelCredentials());
  auto stub = gateway::discovery::v1::ConfigDiscovery::NewStub(channel);
  for (const std::string& token :
       {std::string(kAdminToken), std::string("wrong-token-0123456789")}) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    auto stream = stub->StreamConfig(&context);
    gateway::discovery::v1::ConfigRequest request;
    request.mutable_node()->set_id("intruder");
    stream->Write(request);
    stream->WritesDone();
    gateway::discovery::v1::ConfigResponse response;
    EXPECT_FALSE(stream->Read(&response));
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  CommandResult refused = gwctl_.Run({"team", "list"}, kWorkerToken);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.stderr_text, Not(HasSubstr(kWorkerToken)));
}

// Test 6: a snapshot with 100,000 keys is delivered and applied; its size and the time from the
// gwctl command to the new key being accepted are recorded.
TEST_F(ConfigDistributionTest, HundredThousandKeySnapshotIsDeliveredAndApplied) {
  ASSERT_TRUE(cp_.Stop().ok());
  {
    // Seeding through gwctl would take one version per key; the store loads what SQLite holds.
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(cp_.db().c_str(), &raw), SQLITE_OK);
    std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, &sqlite3_close);
    char* error = nullptr;
    ASSERT_EQ(sqlite3_exec(db.get(),
                           "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                           "WHERE i < 99999) INSERT INTO api_keys (id, team, prefix, sha256, "
                           "created_at) SELECT 'key_bulk' || i, 'search', 'gwk-bulk', "
                           "randomblob(32), 0 FROM n",
                           nullptr, nullptr, &error),
              SQLITE_OK)
        << (error ? error : "");
  }
  ASSERT_TRUE(cp_.Start().ok()) << cp_.Log();
  WorkerProcess worker(dir_, "worker");
  ASSERT_TRUE(worker.Start(cp_.address()).ok()) << worker.Log();
  ExpectWorkersCaughtUp({&worker}, absl::Seconds(30));

  const absl::Time before = absl::Now();
  const std::string key = CreateKey();  // key 100,000
  const absl::Time returned = absl::Now();
  ASSERT_TRUE(PollUntil([&] { return ModelsStatus(worker, key) == 200; }, absl::Seconds(10)))
      << worker.Log();
  const absl::Duration applied_after = absl::Now() - returned;
  auto snapshot = ReadFile(absl::StrCat(worker.state_dir(), "/snapshot.bin"));
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  std::cout << "100,000-key snapshot: " << snapshot->size() << " bytes; gwctl key create took "
            << absl::FormatDuration(returned - before) << ", accepted by the worker "
            << absl::FormatDuration(applied_after) << " after it returned\n";
  RecordProperty("snapshot_bytes", std::to_string(snapshot->size()));
  RecordProperty("applied_after_ms", std::to_string(absl::ToInt64Milliseconds(applied_after)));
  EXPECT_GT(snapshot->size(), 100000u * 32u);
  EXPECT_LT(applied_after, absl::Seconds(1));
}

// Test 7: with 100,000 keys each worker takes about a second to re-parse a snapshot, so a
// revocation travels ahead of it as a small message: two workers refuse the revoked key within
// one second of the gwctl command returning, and keep accepting the others.
TEST_F(ConfigDistributionTest, RevocationReachesTwoWorkersWithinOneSecondAtHundredThousandKeys) {
  ASSERT_TRUE(cp_.Stop().ok());
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(cp_.db().c_str(), &raw), SQLITE_OK);
    std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, &sqlite3_close);
    char* error = nullptr;
    ASSERT_EQ(sqlite3_exec(db.get(),
                           "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                           "WHERE i < 99998) INSERT INTO api_keys (id, team, prefix, sha256, "
                           "created_at) SELECT 'key_bulk' || i, 'search', 'gwk-bulk', "
                           "randomblob(32), 0 FROM n",
                           nullptr, nullptr, &error),
              SQLITE_OK)
        << (error ? error : "");
  }
  ASSERT_TRUE(cp_.Start().ok()) << cp_.Log();
  auto created = gwctl_.Json({"key", "create", "--team", "search"});
  ASSERT_TRUE(created.ok()) << created.status();
  const std::string revoked(created->as_object().at("key").as_string());
  const std::string id(created->as_object().at("id").as_string());
  const std::string kept = CreateKey();
  WorkerProcess a(dir_, "worker-a"), b(dir_, "worker-b");
  ASSERT_TRUE(a.Start(cp_.address()).ok()) << a.Log();
  ASSERT_TRUE(b.Start(cp_.address()).ok()) << b.Log();
  ExpectWorkersCaughtUp({&a, &b}, absl::Seconds(60));
  for (const WorkerProcess* worker : {&a, &b}) {
    ASSERT_EQ(ModelsStatus(*worker, revoked), 200) << worker->Log();
  }

  ASSERT_EQ(gwctl_.Run({"key", "revoke", id}).exit_code, 0);
  const absl::Time returned = absl::Now();
  std::vector<std::string> seen;
  for (const WorkerProcess* worker : {&a, &b}) {
    EXPECT_TRUE(PollUntil([&] { return ModelsStatus(*worker, revoked) == 401; },
                          absl::Seconds(1) - (absl::Now() - returned)))
        << "revoked key still accepted after 1 s\n"
        << worker->Log();
    seen.push_back(absl::StrCat(absl::FormatDuration(absl::Now() - returned),
                                " (worker on version ", ReadyVersion(*worker), ")"));
  }
  auto revoking_version = gwctl_.Version();
  ASSERT_TRUE(revoking_version.ok()) << revoking_version.status();
  std::cout << "revocation at 100,000 keys (version " << *revoking_version
            << ") refused by both workers after " << absl::StrJoin(seen, ", ") << "\n";
  for (const WorkerProcess* worker : {&a, &b}) {
    // Through the overlay, not only through the snapshot.
    EXPECT_THAT(worker->Log(), HasSubstr("key revocations received"));
    EXPECT_EQ(ModelsStatus(*worker, kept), 200);
  }
  // The snapshot follows and stays the source of truth.
  ExpectWorkersCaughtUp({&a, &b}, absl::Seconds(30));
  for (const WorkerProcess* worker : {&a, &b}) {
    EXPECT_EQ(ModelsStatus(*worker, revoked), 401);
    EXPECT_EQ(ModelsStatus(*worker, kept), 200);
  }
}

}  // namespace
}  // namespace gw::testing
