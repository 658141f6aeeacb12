// The real gw-data-plane binary against the in-process fake control plane: it serves
// /v1/models on a port-0 listener, shuts down cleanly on SIGTERM, and restarted while the
// control plane is down it serves the snapshot it persisted.
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "child_process.h"
#include "data_plane/config/state_dir.h"
#include "fake_config_discovery_server.h"
#include "gtest/gtest.h"
#include "http_test_client.h"
#include "poll_until.h"
#include "temp_dir.h"
#include "test_snapshots.h"

namespace gw::dp {
namespace {
using ::gw::testing::AddKey;
using ::gw::testing::ChildProcess;
using ::gw::testing::FakeConfigDiscoveryServer;
using ::gw::testing::HttpGet;
using ::gw::testing::HttpReply;
using ::gw::testing::MakeSnapshot;
using ::gw::testing::PollUntil;
using ::gw::testing::TempDir;

constexpr char kToken[] = "worker-token-for-binary-tests-42";
constexpr char kKey[] = "gwk-binary-test-key-000000000000000000000000";
constexpr absl::Duration kWait = absl::Seconds(10);

class DataPlaneBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    token_file_ = dir_.path() + "/token";
    std::ofstream(token_file_) << kToken << "\n";
    state_dir_ = dir_.path() + "/state/worker-1";  // Created by the worker.
  }

  std::unique_ptr<ChildProcess> StartWorker(const std::string& log_name,
                                            std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {std::string(GW_BIN_DIR) + "/gw-data-plane",
                                     "--control-plane",
                                     control_plane_,
                                     "--http-listen",
                                     "127.0.0.1:0",
                                     "--grpc-listen",
                                     "127.0.0.1:0",
                                     "--state-dir",
                                     state_dir_,
                                     "--worker-token-file",
                                     token_file_,
                                     "--threads",
                                     "2"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<ChildProcess>(argv, dir_.path() + "/" + log_name);
  }

  // The port from the one "listening http on 127.0.0.1:<port>" line.
  static uint16_t HttpPort(const ChildProcess& worker) {
    const std::string line = worker.WaitForLogLine("listening http on", kWait);
    std::smatch match;
    static const std::regex kPattern("listening http on 127\\.0\\.0\\.1:([0-9]+)");
    if (!std::regex_search(line, match, kPattern)) {
      ADD_FAILURE() << "no listening line in:\n" << worker.Log();
      return 0;
    }
    uint32_t port = 0;
    EXPECT_TRUE(absl::SimpleAtoi(match[1].str(), &port));
    return static_cast<uint16_t>(port);
  }

  static bool ReadyWithVersion(uint16_t port, int64_t version) {
    const HttpReply reply = HttpGet(port, "/readyz");
    return reply.ok && reply.status() == 200 && reply.json().is_object() &&
           reply.json().at("config_version").as_int64() == version;
  }

  static std::string ModelsBody(uint16_t port) {
    return HttpGet(port, "/v1/models", {{"Authorization", std::string("Bearer ") + kKey}})
        .message.body();
  }

  TempDir dir_;
  std::string token_file_;
  std::string state_dir_;
  std::string control_plane_;
};

TEST_F(DataPlaneBinaryTest, ServesFromTheControlPlaneThenFromThePersistedSnapshot) {
  FakeConfigDiscoveryServer fake(kToken);
  ASSERT_TRUE(fake.Start().ok());
  control_plane_ = fake.address();
  auto snapshot = MakeSnapshot(5);
  AddKey(snapshot, "key_b", kKey, "team-b");
  fake.SetSnapshot(snapshot);
  const std::string expected_models =
      R"({"object":"list","data":[{"id":"gpt-4o-mini","object":"model","created":1764000000,)"
      R"("owned_by":"openai"},{"id":"text-embedding-3-small","object":"model",)"
      R"("created":1764000000,"owned_by":"openai"}]})";

  std::string worker_id;
  {
    auto worker = StartWorker("first.log");
    ASSERT_TRUE(worker->started());
    const uint16_t port = HttpPort(*worker);
    ASSERT_NE(port, 0);
    ASSERT_TRUE(PollUntil([&] { return ReadyWithVersion(port, 5); }, kWait)) << worker->Log();
    EXPECT_EQ(ModelsBody(port), expected_models);
    EXPECT_EQ(HttpGet(port, "/v1/models").status(), 401u);

    const auto subscribe =
        fake.WaitForRequest([](const FakeConfigDiscoveryServer::Received&) { return true; }, kWait);
    ASSERT_TRUE(subscribe.has_value());
    EXPECT_EQ(subscribe->request.node().address(), "127.0.0.1:" + std::to_string(port));
    EXPECT_EQ(subscribe->request.version_info(), 0);
    worker_id = subscribe->request.node().id();
    EXPECT_EQ(worker_id.rfind("wrk_", 0), 0u) << worker_id;

    const std::string log = worker->Log();
    EXPECT_EQ(log.find(kToken), std::string::npos) << "the worker token was logged";
    EXPECT_EQ(log.find(kKey), std::string::npos) << "a gateway key was logged";
    EXPECT_NE(log.find("applied config version 5"), std::string::npos) << log;

    worker->Signal(SIGTERM);
    EXPECT_EQ(worker->Wait(kWait), std::optional<int>(0)) << worker->Log();
    EXPECT_TRUE(PollUntil([&] { return fake.open_streams() == 0; }, kWait));
  }
  absl::StatusOr<std::string> stored_id = ReadWholeFile(state_dir_ + "/worker_id");
  ASSERT_TRUE(stored_id.ok()) << stored_id.status();
  EXPECT_EQ(*stored_id, worker_id + "\n");

  fake.Stop();  // The control plane is down for the restart.
  auto worker = StartWorker("second.log");
  const uint16_t port = HttpPort(*worker);
  ASSERT_NE(port, 0);
  ASSERT_TRUE(PollUntil([&] { return ReadyWithVersion(port, 5); }, kWait)) << worker->Log();
  EXPECT_EQ(ModelsBody(port), expected_models);
  EXPECT_NE(worker->Log().find("serving persisted config version 5"), std::string::npos);

  // When the control plane comes back, the worker subscribes with the version it serves.
  ASSERT_TRUE(fake.Start(fake.port()).ok());
  const auto resubscribe = fake.WaitForRequest(
      [](const FakeConfigDiscoveryServer::Received& r) { return r.stream == 2; }, kWait);
  ASSERT_TRUE(resubscribe.has_value()) << worker->Log();
  EXPECT_EQ(resubscribe->request.version_info(), 5);
  EXPECT_EQ(resubscribe->request.node().id(), worker_id);

  worker->Signal(SIGINT);
  EXPECT_EQ(worker->Wait(kWait), std::optional<int>(0)) << worker->Log();
}

TEST_F(DataPlaneBinaryTest, LogsExactlyOneListeningLinePerListener) {
  control_plane_ = "127.0.0.1:1";
  auto worker = StartWorker("listen.log", {"--log-format", "json"});
  const uint16_t port = HttpPort(*worker);
  ASSERT_NE(port, 0);
  EXPECT_EQ(HttpGet(port, "/readyz").status(), 503u);
  worker->Signal(SIGTERM);
  EXPECT_EQ(worker->Wait(kWait), std::optional<int>(0));
  const std::string log = worker->Log();
  // CONTRACTS.md: one line per listener, which tests and scripts parse for the bound port.
  const auto count = [&log](const std::string& line) {
    size_t found = 0;
    for (size_t at = log.find(line); at != std::string::npos; at = log.find(line, at + 1)) {
      ++found;
    }
    return found;
  };
  EXPECT_EQ(count("listening http on"), 1u) << log;
  EXPECT_EQ(count("listening grpc on"), 1u) << log;
  EXPECT_EQ(log.rfind("{\"ts\":", 0), 0u) << log;  // JSON lines.
}

TEST_F(DataPlaneBinaryTest, RejectsBadFlags) {
  control_plane_ = "127.0.0.1:1";
  auto bad_grpc = StartWorker("bad-grpc.log", {"--grpc-listen", "nonsense"});
  EXPECT_NE(bad_grpc->Wait(kWait).value_or(0), 0);
  auto bad_format = StartWorker("bad-format.log", {"--log-format", "xml"});
  EXPECT_EQ(bad_format->Wait(kWait), std::optional<int>(2));
  auto unknown = StartWorker("unknown.log", {"--no-such-flag"});
  EXPECT_EQ(unknown->Wait(kWait), std::optional<int>(2));
}

TEST_F(DataPlaneBinaryTest, RequiresAWorkerToken) {
  control_plane_ = "127.0.0.1:1";
  auto worker = std::make_unique<ChildProcess>(
      std::vector<std::string>{std::string(GW_BIN_DIR) + "/gw-data-plane", "--http-listen",
                               "127.0.0.1:0", "--state-dir", state_dir_, "--worker-token-file",
                               dir_.path() + "/missing-token"},
      dir_.path() + "/no-token.log");
  EXPECT_EQ(worker->Wait(kWait), std::optional<int>(1));
  EXPECT_NE(worker->Log().find("worker-token-file"), std::string::npos) << worker->Log();
}

}  // namespace
}  // namespace gw::dp
