// A client that hangs up cancels its upstream call, also for buffered (non-streaming) chat and
// embeddings: the real control plane configures a real gw-data-plane worker in front of
// gw-fake-provider, a test client closes its socket while the fake holds the answer back, and the
// fake's own counters show the worker's upstream connection go away. Pipelined requests read
// while the worker watches the client are still answered, in order.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"
#include "tests/fakes/testing/fake_provider_process.h"
#include "tests/fakes/testing/test_http_connection.h"
#include "tests/integration/harness/http_client.h"
#include "tests/integration/harness/poll.h"
#include "tests/integration/harness/stack.h"

namespace gw::testing {
namespace {

namespace json = boost::json;

constexpr char kProviderSecret[] = "sk-disconnect-provider-secret-0123";
constexpr char kProviderEnv[] = "GW_DISCONNECT_TEST_PROVIDER_KEY";

struct Stack {
  TempDir dir = TempDir::Create("gw-client-disconnect").value();
  ControlPlaneProcess cp{dir};
  std::unique_ptr<FakeProviderProcess> fake;
  std::optional<Process> worker;
  std::string worker_address;
  std::string key;
};
Stack* stack = nullptr;

class ClientDisconnectTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack = new Stack();
    ASSERT_TRUE(stack->cp.Start().ok()) << stack->cp.Log();
    auto fake =
        FakeProviderProcess::Start(GW_BIN_DIR "/gw-fake-provider", {"--api-key-env", kProviderEnv},
                                   {{kProviderEnv, kProviderSecret}});
    ASSERT_TRUE(fake.ok()) << fake.status();
    stack->fake = *std::move(fake);

    const Gwctl gwctl(stack->cp);
    gwctl.MustRun({"provider", "create", "fake", "--type", "openai-compatible", "--base-url",
                   stack->fake->base_url(), "--api-key-ref", absl::StrCat("env:", kProviderEnv)});
    gwctl.MustRun({"model", "create", "chat", "--provider", "fake"});
    gwctl.MustRun({"model", "create", "embed", "--provider", "fake"});
    gwctl.MustRun({"team", "create", "hangups"});
    auto key = gwctl.CreateKey("hangups");
    ASSERT_TRUE(key.ok()) << key.status();
    stack->key = *key;
    auto version = gwctl.Version();
    ASSERT_TRUE(version.ok()) << version.status();

    const std::string token_file = stack->dir.Path("worker-token");
    ASSERT_TRUE(WriteFile(token_file, kWorkerToken).ok());
    // One thread: a leaked call or a stuck session would show in the requests that follow. The
    // provider timeouts stay long, so only a cancellation ends a held-back answer soon.
    auto worker = StartDataPlane({.control_plane_address = stack->cp.address(),
                                  .state_dir = stack->dir.Path("worker"),
                                  .worker_token_file = token_file,
                                  .threads = 1,
                                  .extra_flags = {},
                                  .env = {{kProviderEnv, kProviderSecret}}});
    ASSERT_TRUE(worker.ok()) << worker.status();
    stack->worker.emplace(*std::move(worker));
    auto address = stack->worker->WaitForListen("http", absl::Seconds(20));
    ASSERT_TRUE(address.ok()) << address.status();
    stack->worker_address = *address;
    absl::Status ready = WaitUntilReadyAt(stack->worker_address, *version, absl::Seconds(20));
    ASSERT_TRUE(ready.ok()) << ready << "\n" << stack->worker->LogTail();
  }

  static void TearDownTestSuite() {
    delete stack;
    stack = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(stack, nullptr);
    ASSERT_FALSE(stack->worker_address.empty());
    auto cleared = HttpRequest(stack->fake->address(), "DELETE", "/_fake/requests", {}, "");
    ASSERT_TRUE(cleared.ok()) << cleared.status();
  }

  void TearDown() override {
    if (HasFailure() && stack->worker) std::cerr << stack->worker->LogTail() << "\n";
  }

  static std::map<std::string, std::string> Auth() {
    return {{"authorization", absl::StrCat("Bearer ", stack->key)},
            {"content-type", "application/json"}};
  }

  static int64_t FakeStat(const std::string& name) {
    auto response = HttpRequest(stack->fake->address(), "GET", "/_fake/stats", {}, "");
    if (!response.ok()) return -1;
    return json::parse(response->body).as_object().at(name).to_number<int64_t>();
  }

  static size_t FakeRequestCount() {
    auto response = HttpRequest(stack->fake->address(), "GET", "/_fake/requests", {}, "");
    if (!response.ok()) return 0;
    return json::parse(response->body).as_object().at("requests").as_array().size();
  }

  // Sends `body` to `path`, waits until the fake holds the request, hangs up, and expects the
  // fake to see the worker's upstream connection close well before any timeout could end it.
  static void HangUpWhileTheFakeHolds(const std::string& path, const std::string& body) {
    const int64_t before = FakeStat("client_disconnects");
    ASSERT_GE(before, 0);
    auto connection = TestHttpConnection::Open(stack->worker_address);
    ASSERT_TRUE(connection.ok()) << connection.status();
    ASSERT_TRUE((*connection)->Send("POST", path, body, Auth()).ok());
    ASSERT_TRUE(PollUntil([] { return FakeRequestCount() == 1; }, absl::Seconds(10)))
        << "the request never reached the fake";
    (*connection)->Close();
    // The fake stalls forever and the worker's provider timeouts are minutes long: only a
    // cancellation closes the upstream connection.
    EXPECT_TRUE(
        PollUntil([&] { return FakeStat("client_disconnects") > before; }, absl::Seconds(10)))
        << "the worker kept the upstream call after its client left";
  }

  // The worker still answers on its one thread.
  static void ExpectWorkerServes() {
    auto response = TestHttpCall(
        stack->worker_address, "POST", "/v1/chat/completions",
        R"({"model":"chat","messages":[{"role":"user","content":"still there"}]})", Auth());
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 200) << response->body;
    EXPECT_TRUE(absl::StrContains(response->body, "still there")) << response->body;
  }
};

TEST_F(ClientDisconnectTest, ClientThatHangsUpDuringABufferedChatCancelsTheUpstreamCall) {
  HangUpWhileTheFakeHolds(
      "/v1/chat/completions",
      R"({"model":"chat","messages":[{"role":"user","content":"hi"}],"x_fake":{"stall":true}})");
  ExpectWorkerServes();
}

TEST_F(ClientDisconnectTest, ClientThatHangsUpDuringEmbeddingsCancelsTheUpstreamCall) {
  HangUpWhileTheFakeHolds("/v1/embeddings",
                          R"({"model":"embed","input":"hi","x_fake":{"stall":true}})");
  ExpectWorkerServes();
}

TEST_F(ClientDisconnectTest, ClientThatHangsUpBeforeAStreamBeginsCancelsTheUpstreamCall) {
  HangUpWhileTheFakeHolds("/v1/chat/completions",
                          R"({"model":"chat","messages":[{"role":"user","content":"hi"}],)"
                          R"("stream":true,"x_fake":{"stall":true}})");
  ExpectWorkerServes();
}

TEST_F(ClientDisconnectTest, ClientThatHangsUpDuringADelayedAnswerCancelsItAtOnce) {
  const int64_t before = FakeStat("client_disconnects");
  auto connection = TestHttpConnection::Open(stack->worker_address);
  ASSERT_TRUE(connection.ok()) << connection.status();
  ASSERT_TRUE((*connection)
                  ->Send("POST", "/v1/chat/completions",
                         R"({"model":"chat","messages":[{"role":"user","content":"slow"}],)"
                         R"("x_fake":{"first_byte_delay_ms":20000}})",
                         Auth())
                  .ok());
  ASSERT_TRUE(PollUntil([] { return FakeRequestCount() == 1; }, absl::Seconds(10)));
  const absl::Time closed = absl::Now();
  (*connection)->Close();
  ASSERT_TRUE(
      PollUntil([&] { return FakeStat("client_disconnects") > before; }, absl::Seconds(10)));
  // Noticed by the pending read, not at the answer 20 s later.
  EXPECT_LT(absl::Now() - closed, absl::Seconds(5));
}

TEST_F(ClientDisconnectTest, PipelinedRequestsReadWhileWatchingAreAnsweredInOrder) {
  auto connection = TestHttpConnection::Open(stack->worker_address);
  ASSERT_TRUE(connection.ok()) << connection.status();
  // The first answer is held back, so the second request arrives while the worker watches the
  // client for a hang-up: its bytes must stay for the next request, not be dropped.
  ASSERT_TRUE((*connection)
                  ->Send("POST", "/v1/chat/completions",
                         R"({"model":"chat","messages":[{"role":"user","content":"first one"}],)"
                         R"("x_fake":{"first_byte_delay_ms":300}})",
                         Auth())
                  .ok());
  ASSERT_TRUE((*connection)
                  ->Send("POST", "/v1/embeddings",
                         R"({"model":"embed","input":"second","dimensions":4})", Auth())
                  .ok());
  ASSERT_TRUE((*connection)
                  ->Send("POST", "/v1/chat/completions",
                         R"({"model":"chat","messages":[{"role":"user","content":"third one"}]})",
                         Auth())
                  .ok());
  auto first = (*connection)->ReadResponse();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->status, 200) << first->body;
  EXPECT_TRUE(absl::StrContains(first->body, "first one")) << first->body;
  auto second = (*connection)->ReadResponse();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->status, 200) << second->body;
  EXPECT_EQ(json::parse(second->body).at("data").as_array().size(), 1u) << second->body;
  auto third = (*connection)->ReadResponse();
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(third->status, 200) << third->body;
  EXPECT_TRUE(absl::StrContains(third->body, "third one")) << third->body;
  EXPECT_EQ(FakeRequestCount(), 3u);
}

TEST_F(ClientDisconnectTest, KeepAliveConnectionServesBufferedCallsOneAfterAnother) {
  const int64_t before = FakeStat("client_disconnects");
  auto connection = TestHttpConnection::Open(stack->worker_address);
  ASSERT_TRUE(connection.ok()) << connection.status();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        (*connection)
            ->Send("POST", "/v1/chat/completions",
                   absl::StrCat(R"({"model":"chat","messages":[{"role":"user","content":"turn )", i,
                                R"("}]})"),
                   Auth())
            .ok());
    auto response = (*connection)->ReadResponse();
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 200) << response->body;
    EXPECT_TRUE(absl::StrContains(response->body, absl::StrCat("turn ", i))) << response->body;
  }
  // Finished calls were not mistaken for abandoned ones.
  EXPECT_EQ(FakeStat("client_disconnects"), before);
}

}  // namespace
}  // namespace gw::testing
