// End-to-end serving: the real control plane configures a real gw-data-plane worker, which serves
// POST /v1/chat/completions (buffered and streamed) and /v1/embeddings from gw-fake-provider.
// Covers the checks in CONTRACTS.md's order, the error table, body pass-through, the provider's
// own credential, timeouts and a client that hangs up mid-stream.
#include <sys/socket.h>
#include <sys/time.h>

#include <csignal>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/write.hpp"
#include "boost/json.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/testing/fake_provider_process.h"
#include "tests/fakes/testing/test_http_connection.h"
#include "tests/integration/harness/http_client.h"
#include "tests/integration/harness/poll.h"
#include "tests/integration/harness/stack.h"

namespace gw::testing {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kProviderSecret[] = "sk-fake-provider-secret-0123456789";
constexpr char kProviderEnv[] = "GW_SERVING_TEST_PROVIDER_KEY";
constexpr int64_t kTeamMaxTokens = 50;
constexpr uint64_t kMaxBodyBytes = 64 * 1024;

// One control plane, one fake provider and one worker for the whole suite: every test talks to
// the same configuration.
struct Stack {
  TempDir dir = TempDir::Create("gw-serving").value();
  ControlPlaneProcess cp{dir};
  std::unique_ptr<FakeProviderProcess> fake;
  std::optional<Process> worker;
  std::string worker_address;
  std::string key;         // Team "search": every model but "restricted".
  std::string capped_key;  // Team "capped": max_tokens_per_request 50.
};
Stack* stack = nullptr;

class ServingTest : public ::testing::Test {
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
    gwctl.MustRun({"provider", "create", "nocred", "--type", "openai-compatible", "--base-url",
                   stack->fake->base_url(), "--api-key-ref", "env:GW_SERVING_TEST_UNSET_VARIABLE"});
    // Port 1 on loopback: nothing listens there.
    gwctl.MustRun({"provider", "create", "down", "--type", "openai-compatible", "--base-url",
                   "http://127.0.0.1:1/v1", "--api-key-ref", absl::StrCat("env:", kProviderEnv)});
    gwctl.MustRun({"model", "create", "chat", "--provider", "fake", "--upstream-model",
                   "fake-upstream-chat"});
    gwctl.MustRun({"model", "create", "embed", "--provider", "fake"});
    gwctl.MustRun({"model", "create", "restricted", "--provider", "fake"});
    gwctl.MustRun({"model", "create", "nocred-chat", "--provider", "nocred"});
    gwctl.MustRun({"model", "create", "down-chat", "--provider", "down"});
    gwctl.MustRun(
        {"team", "create", "search", "--allowed-models", "chat,embed,nocred-chat,down-chat"});
    gwctl.MustRun({"team", "create", "capped", "--max-tokens", absl::StrCat(kTeamMaxTokens)});
    auto key = gwctl.CreateKey("search");
    EXPECT_TRUE(key.ok()) << key.status();
    stack->key = key.value_or("");
    auto capped_key = gwctl.CreateKey("capped");
    EXPECT_TRUE(capped_key.ok()) << capped_key.status();
    stack->capped_key = capped_key.value_or("");

    const std::string token_file = stack->dir.path() + "/worker-token";
    std::ofstream(token_file) << kWorkerToken;
    auto worker = StartDataPlane({.control_plane_address = stack->cp.address(),
                                  .state_dir = stack->dir.path() + "/worker",
                                  .worker_token_file = token_file,
                                  .threads = 1,
                                  .extra_flags = {"--max-body-bytes", absl::StrCat(kMaxBodyBytes),
                                                  "--upstream-first-byte-timeout-ms", "1000",
                                                  "--upstream-idle-timeout-ms", "1000"},
                                  .env = {{kProviderEnv, kProviderSecret}}});
    ASSERT_TRUE(worker.ok()) << worker.status();
    stack->worker.emplace(*std::move(worker));
    auto address = stack->worker->WaitForListen("http", absl::Seconds(20));
    ASSERT_TRUE(address.ok()) << address.status();
    stack->worker_address = *address;

    auto version = gwctl.Version();
    ASSERT_TRUE(version.ok()) << version.status();
    absl::Status ready = WaitUntilReadyAt(stack->worker_address, *version, absl::Seconds(20));
    ASSERT_TRUE(ready.ok()) << ready << "\n" << stack->worker->LogTail();
  }

  static void TearDownTestSuite() {
    // CONTRACTS.md: SIGTERM exits 0, also after the worker made upstream calls (each I/O
    // thread's upstream client and its pooled connections go away with the thread).
    const absl::Status stopped = StopCleanly(stack->worker, absl::Seconds(20));
    EXPECT_TRUE(stopped.ok()) << stopped;
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

  static std::map<std::string, std::string> Auth(const std::string& key) {
    return {{"authorization", absl::StrCat("Bearer ", key)}, {"content-type", "application/json"}};
  }

  static HttpResponse Post(const std::string& path, const std::string& body,
                           std::map<std::string, std::string> headers = Auth(stack->key)) {
    auto response = HttpRequest(stack->worker_address, "POST", path, headers, body);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : HttpResponse{};
  }

  static TestResponse Stream(const std::string& body, const std::string& key = stack->key) {
    auto response =
        TestHttpCall(stack->worker_address, "POST", "/v1/chat/completions", body, Auth(key));
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : TestResponse{};
  }

  // What the fake received, oldest first.
  static json::array FakeRequests() {
    auto response = HttpRequest(stack->fake->address(), "GET", "/_fake/requests", {}, "");
    EXPECT_TRUE(response.ok()) << response.status();
    if (!response.ok()) return {};
    return json::parse(response->body).as_object().at("requests").as_array();
  }

  static int64_t FakeStat(const std::string& name) {
    auto response = HttpRequest(stack->fake->address(), "GET", "/_fake/stats", {}, "");
    if (!response.ok()) return -1;
    return json::parse(response->body).as_object().at(name).to_number<int64_t>();
  }
};

// A JSON request body as a value, without its "model" (which the gateway rewrites upstream).
json::value WithoutModel(json::string_view body) {
  json::object object = json::parse(body).as_object();
  object.erase("model");
  return object;
}

std::string ChatBody(const std::string& model, const std::string& extra = "") {
  return absl::StrCat(R"({"model":")", model,
                      R"(","messages":[{"role":"user","content":"hello there world"}])", extra,
                      "}");
}

// {"error":{"message","type","param","code"}} with `status`, and an x-request-id.
void ExpectOpenAiError(const HttpResponse& response, int status, const std::string& type,
                       const std::optional<std::string>& code) {
  EXPECT_EQ(response.status, status) << response.body;
  ASSERT_TRUE(response.headers.contains("x-request-id"));
  EXPECT_FALSE(response.headers.at("x-request-id").empty());
  EXPECT_THAT(response.headers.at("content-type"), HasSubstr("application/json"));
  boost::system::error_code ec;
  const json::value body = json::parse(response.body, ec);
  ASSERT_FALSE(ec) << response.body;
  const json::object& error = body.as_object().at("error").as_object();
  EXPECT_TRUE(error.at("message").is_string());
  EXPECT_FALSE(error.at("message").as_string().empty());
  EXPECT_EQ(error.at("type").as_string(), type) << response.body;
  EXPECT_TRUE(error.contains("param")) << response.body;
  ASSERT_TRUE(error.contains("code")) << response.body;
  if (code) {
    EXPECT_EQ(error.at("code").as_string(), *code) << response.body;
  }
}

TEST_F(ServingTest, ChatCompletionReturnsTheProvidersAnswerWithUsage) {
  const HttpResponse response =
      Post("/v1/chat/completions", ChatBody("chat"),
           {{"authorization", absl::StrCat("Bearer ", stack->key)}, {"x-request-id", "req-1.a"}});
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.headers.at("x-request-id"), "req-1.a");
  const json::object body = json::parse(response.body).as_object();
  EXPECT_EQ(body.at("model").as_string(), "fake-upstream-chat");
  EXPECT_EQ(body.at("choices").as_array()[0].at("message").at("content").as_string(),
            "hello there world");
  EXPECT_EQ(body.at("usage").at("prompt_tokens").to_number<int64_t>(), 3);
  EXPECT_EQ(body.at("usage").at("completion_tokens").to_number<int64_t>(), 3);

  const json::array requests = FakeRequests();
  ASSERT_EQ(requests.size(), 1u);
  const json::object& headers = requests[0].at("headers").as_object();
  EXPECT_EQ(headers.at("x-request-id").as_string(), "req-1.a");
}

TEST_F(ServingTest, ProviderSeesItsOwnCredentialNeverTheGatewayKey) {
  ASSERT_EQ(Post("/v1/chat/completions", ChatBody("chat")).status, 200);
  const json::array requests = FakeRequests();
  ASSERT_EQ(requests.size(), 1u);
  const std::string recorded = json::serialize(requests[0]);
  EXPECT_EQ(requests[0].at("headers").at("authorization").as_string(),
            absl::StrCat("Bearer ", kProviderSecret));
  EXPECT_THAT(recorded, Not(HasSubstr(stack->key)));
}

TEST_F(ServingTest, UnknownFieldsReachTheProviderSemanticallyEqual) {
  const std::string body = ChatBody(
      "chat",
      R"(,"temperature":0.7,"top_p":1.0,"seed":12345678901,"logit_bias":{"50256":-100},)"
      R"("metadata":{"nested":{"deep":[1,2.5,{"x":null}],"flag":true}},"stop":["a","b"],)"
      R"("tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}])");
  ASSERT_EQ(Post("/v1/chat/completions", body).status, 200);
  const json::array requests = FakeRequests();
  ASSERT_EQ(requests.size(), 1u);
  const json::string& received = requests[0].at("body").as_string();
  EXPECT_EQ(json::parse(received).at("model").as_string(), "fake-upstream-chat");
  EXPECT_EQ(WithoutModel(body), WithoutModel(received)) << received;
  // Numbers keep their text: 0.7 is not rewritten as 7E-1.
  EXPECT_THAT(std::string(received), HasSubstr("\"temperature\":0.7"));
  EXPECT_THAT(std::string(received), HasSubstr("\"top_p\":1.0"));
}

TEST_F(ServingTest, StreamForwardsEventsAndHidesTheUsageChunk) {
  const TestResponse response = Stream(ChatBody("chat", R"(,"stream":true)"));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_THAT(response.headers.at("content-type"), HasSubstr("text/event-stream"));
  EXPECT_TRUE(response.headers.contains("x-request-id"));
  EXPECT_FALSE(response.end) << response.end.message();
  const std::vector<std::string> events = SseData(response.body);
  ASSERT_GE(events.size(), 3u) << response.body;
  EXPECT_EQ(events.back(), "[DONE]");
  std::string content;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    const json::object chunk = json::parse(events[i]).as_object();
    EXPECT_FALSE(chunk.at("choices").as_array().empty()) << "usage chunk leaked: " << events[i];
    const json::object& delta = chunk.at("choices").as_array()[0].at("delta").as_object();
    if (delta.contains("content")) content += delta.at("content").as_string();
  }
  EXPECT_EQ(content, "hello there world");
  // The gateway asked upstream for usage anyway.
  const json::array requests = FakeRequests();
  ASSERT_EQ(requests.size(), 1u);
  const json::object upstream = json::parse(requests[0].at("body").as_string()).as_object();
  EXPECT_TRUE(upstream.at("stream_options").at("include_usage").as_bool());
}

TEST_F(ServingTest, StreamKeepsTheUsageChunkWhenTheClientAskedForIt) {
  const TestResponse response =
      Stream(ChatBody("chat", R"(,"stream":true,"stream_options":{"include_usage":true})"));
  ASSERT_EQ(response.status, 200) << response.body;
  const std::vector<std::string> events = SseData(response.body);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.back(), "[DONE]");
  const json::object usage_chunk = json::parse(events[events.size() - 2]).as_object();
  EXPECT_TRUE(usage_chunk.at("choices").as_array().empty());
  EXPECT_EQ(usage_chunk.at("usage").at("completion_tokens").to_number<int64_t>(), 3);
}

TEST_F(ServingTest, StreamedEventsArriveAsTheyAreProduced) {
  const TestResponse response =
      Stream(ChatBody("chat", R"(,"stream":true,"x_fake":{"chunk_interval_ms":150})"));
  ASSERT_EQ(response.status, 200) << response.body;
  ASSERT_GE(response.chunks.size(), 4u);
  // Batching would deliver everything at once at the end.
  EXPECT_LT(response.chunks.front().first + absl::Milliseconds(300), response.chunks.back().first);
}

// The head leaves with the first event in one write: a client's first read holds both, so the
// first event does not wait for a second wake-up of the client.
TEST_F(ServingTest, StreamHeadAndFirstEventReachTheClientInOneRead) {
  namespace asio = boost::asio;
  using asio::ip::tcp;
  asio::io_context io;
  tcp::socket socket(io);
  const std::string& address = stack->worker_address;
  const size_t colon = address.rfind(':');
  socket.connect(tcp::endpoint(asio::ip::make_address(address.substr(0, colon)),
                               static_cast<uint16_t>(std::stoi(address.substr(colon + 1)))));
  // The second event comes a second later: whatever the first read holds left together.
  const std::string body =
      ChatBody("chat", R"(,"stream":true,"x_fake":{"chunk_interval_ms":1000})");
  asio::write(socket, asio::buffer(absl::StrCat(
                          "POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\n",
                          "Authorization: Bearer ", stack->key, "\r\n",
                          "Content-Type: application/json\r\nContent-Length: ", body.size(),
                          "\r\n\r\n", body)));
  const timeval ten_seconds{.tv_sec = 10, .tv_usec = 0};  // The read fails rather than hangs.
  ASSERT_EQ(::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &ten_seconds,
                         sizeof(ten_seconds)),
            0);
  std::string first_read(64 * 1024, '\0');
  first_read.resize(socket.read_some(asio::buffer(first_read)));
  EXPECT_TRUE(absl::StartsWith(first_read, "HTTP/1.1 200 OK\r\n")) << first_read;
  EXPECT_TRUE(absl::StrContains(first_read, "\r\n\r\n")) << first_read;
  EXPECT_TRUE(absl::StrContains(first_read, "data: {")) << first_read;
}

TEST_F(ServingTest, EmbeddingsReturnTheProvidersVectors) {
  const HttpResponse response =
      Post("/v1/embeddings", R"({"model":"embed","input":["one two","three"],"dimensions":4})");
  ASSERT_EQ(response.status, 200) << response.body;
  const json::object body = json::parse(response.body).as_object();
  ASSERT_EQ(body.at("data").as_array().size(), 2u);
  EXPECT_EQ(body.at("data").as_array()[0].at("embedding").as_array().size(), 4u);
  EXPECT_EQ(body.at("usage").at("prompt_tokens").to_number<int64_t>(), 3);
  const json::array requests = FakeRequests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].at("path").as_string(), "/v1/embeddings");
}

// The error table of CONTRACTS.md, one row per test.

TEST_F(ServingTest, UnknownPathIs404NotFound) {
  ExpectOpenAiError(Post("/v1/chat/complete", ChatBody("chat")), 404, "invalid_request_error",
                    "not_found");
}

TEST_F(ServingTest, MissingKeyIs401) {
  ExpectOpenAiError(Post("/v1/chat/completions", ChatBody("chat"), {}), 401, "authentication_error",
                    "missing_api_key");
}

TEST_F(ServingTest, UnknownKeyIs401BeforeTheBodyIsLookedAt) {
  ExpectOpenAiError(Post("/v1/chat/completions", "not json", Auth("sk-unknown")), 401,
                    "authentication_error", "invalid_api_key");
}

TEST_F(ServingTest, BodyOverTheLimitIs413) {
  ExpectOpenAiError(
      Post("/v1/chat/completions",
           ChatBody("chat", absl::StrCat(R"(,"pad":")", std::string(kMaxBodyBytes, 'x'), "\""))),
      413, "invalid_request_error", "request_too_large");
}

TEST_F(ServingTest, MalformedJsonIs400InvalidJson) {
  ExpectOpenAiError(Post("/v1/chat/completions", R"({"model":"chat",)"), 400,
                    "invalid_request_error", "invalid_json");
  ExpectOpenAiError(Post("/v1/chat/completions", R"(["not","an","object"])"), 400,
                    "invalid_request_error", "invalid_json");
  EXPECT_TRUE(FakeRequests().empty());
}

TEST_F(ServingTest, UnknownModelIs404ModelNotFound) {
  ExpectOpenAiError(Post("/v1/chat/completions", ChatBody("no-such-model")), 404,
                    "invalid_request_error", "model_not_found");
}

TEST_F(ServingTest, ModelOutsideTheTeamsListIs403) {
  ExpectOpenAiError(Post("/v1/chat/completions", ChatBody("restricted")), 403, "permission_error",
                    std::nullopt);
}

TEST_F(ServingTest, MaxTokensOverTheTeamCapIs400) {
  ExpectOpenAiError(Post("/v1/chat/completions",
                         ChatBody("chat", absl::StrCat(R"(,"max_tokens":)", kTeamMaxTokens + 1)),
                         Auth(stack->capped_key)),
                    400, "invalid_request_error", "max_tokens_exceeded");
  EXPECT_EQ(Post("/v1/chat/completions",
                 ChatBody("chat", absl::StrCat(R"(,"max_tokens":)", kTeamMaxTokens)),
                 Auth(stack->capped_key))
                .status,
            200);
}

TEST_F(ServingTest, ProviderClientErrorPassesThroughWithItsStatusAndMessage) {
  const HttpResponse response = Post(
      "/v1/chat/completions",
      ChatBody(
          "chat",
          R"(,"x_fake":{"status":422,"error_message":"the fake refuses this","error_code":"bad_thing"})"));
  ExpectOpenAiError(response, 422, "invalid_request_error", "bad_thing");
  EXPECT_THAT(response.body, HasSubstr("the fake refuses this"));
}

TEST_F(ServingTest, ProviderRateLimitPassesThroughWithRetryAfter) {
  const HttpResponse response = Post(
      "/v1/chat/completions", ChatBody("chat", R"(,"x_fake":{"status":429,"retry_after_s":7})"));
  ExpectOpenAiError(response, 429, "requests", "rate_limit_exceeded");
  ASSERT_TRUE(response.headers.contains("retry-after"));
  EXPECT_EQ(response.headers.at("retry-after"), "7");
}

TEST_F(ServingTest, ProviderServerErrorIs502ApiError) {
  ExpectOpenAiError(Post("/v1/chat/completions", ChatBody("chat", R"(,"x_fake":{"status":500})")),
                    502, "api_error", std::nullopt);
}

TEST_F(ServingTest, UnreachableProviderIs502ApiError) {
  ExpectOpenAiError(Post("/v1/chat/completions", ChatBody("down-chat")), 502, "api_error",
                    std::nullopt);
}

TEST_F(ServingTest, UnresolvableCredentialIs502WithTheContractsMessage) {
  const HttpResponse response = Post("/v1/chat/completions", ChatBody("nocred-chat"));
  ExpectOpenAiError(response, 502, "api_error", std::nullopt);
  EXPECT_EQ(json::parse(response.body).at("error").at("message").as_string(),
            "provider credential unavailable on this worker");
}

TEST_F(ServingTest, StalledFirstByteIs504ApiError) {
  ExpectOpenAiError(
      Post("/v1/chat/completions", ChatBody("chat", R"(,"x_fake":{"first_byte_delay_ms":5000})")),
      504, "api_error", std::nullopt);
}

TEST_F(ServingTest, StalledStreamFirstByteIs504ApiError) {
  const TestResponse response =
      Stream(ChatBody("chat", R"(,"stream":true,"x_fake":{"first_byte_delay_ms":5000})"));
  EXPECT_EQ(response.status, 504) << response.body;
  EXPECT_THAT(response.body, HasSubstr("\"api_error\""));
}

TEST_F(ServingTest, StreamThatStallsMidwayEndsWithAnErrorEventAndNoDone) {
  const TestResponse response =
      Stream(ChatBody("chat", R"(,"stream":true,"x_fake":{"stall_after_chunks":2})"));
  ASSERT_EQ(response.status, 200) << response.body;
  const std::vector<std::string> events = SseData(response.body);
  ASSERT_GE(events.size(), 3u) << response.body;
  for (const std::string& event : events) EXPECT_NE(event, "[DONE]");
  const json::object last = json::parse(events.back()).as_object();
  EXPECT_EQ(last.at("error").at("type").as_string(), "api_error") << events.back();
}

TEST_F(ServingTest, StreamThatBreaksMidwayEndsWithAnErrorEventAndNoDone) {
  const TestResponse response =
      Stream(ChatBody("chat", R"(,"stream":true,"x_fake":{"reset_after_chunks":2})"));
  ASSERT_EQ(response.status, 200) << response.body;
  const std::vector<std::string> events = SseData(response.body);
  ASSERT_GE(events.size(), 2u) << response.body;
  for (const std::string& event : events) EXPECT_NE(event, "[DONE]");
  EXPECT_TRUE(json::parse(events.back()).as_object().contains("error")) << events.back();
}

TEST_F(ServingTest, StreamCutShortByTheProviderEndsWithAnErrorEventAndNoDone) {
  const TestResponse response =
      Stream(ChatBody("chat", R"(,"stream":true,"x_fake":{"truncate_body":true})"));
  ASSERT_EQ(response.status, 200) << response.body;
  const std::vector<std::string> events = SseData(response.body);
  ASSERT_FALSE(events.empty());
  for (const std::string& event : events) EXPECT_NE(event, "[DONE]");
  EXPECT_TRUE(json::parse(events.back()).as_object().contains("error")) << events.back();
}

TEST_F(ServingTest, StreamRefusedByTheProviderIsAPlainJsonError) {
  const TestResponse response = Stream(ChatBody(
      "chat", R"(,"stream":true,"x_fake":{"status":400,"error_message":"bad stream request"})"));
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_THAT(response.headers.at("content-type"), HasSubstr("application/json"));
  EXPECT_THAT(response.body, HasSubstr("bad stream request"));
}

TEST_F(ServingTest, ClientThatHangsUpMidStreamCancelsTheUpstreamCall) {
  const int64_t before = FakeStat("client_disconnects");
  ASSERT_GE(before, 0);
  auto connection = TestHttpConnection::Open(stack->worker_address);
  ASSERT_TRUE(connection.ok()) << connection.status();
  ASSERT_TRUE(
      (*connection)
          ->Send(
              "POST", "/v1/chat/completions",
              ChatBody(
                  "chat",
                  R"(,"stream":true,"x_fake":{"completion_tokens":100,"chunk_interval_ms":200})"),
              Auth(stack->key))
          .ok());
  auto head = (*connection)->ReadHead();
  ASSERT_TRUE(head.ok()) << head.status();
  ASSERT_EQ(head->status, 200);
  (*connection)->Close();
  EXPECT_TRUE(PollUntil([&] { return FakeStat("client_disconnects") > before; }, absl::Seconds(5)))
      << "the fake never saw the upstream connection go away";
}

TEST_F(ServingTest, ClientThatHangsUpBeforeTheFirstEventCancelsTheUpstreamCall) {
  const int64_t before = FakeStat("client_disconnects");
  ASSERT_GE(before, 0);
  auto connection = TestHttpConnection::Open(stack->worker_address);
  ASSERT_TRUE(connection.ok()) << connection.status();
  // The fake would answer after 5 s and the worker would give up after its 1 s first-byte
  // timeout: only a cancellation reaches the fake sooner.
  ASSERT_TRUE(
      (*connection)
          ->Send("POST", "/v1/chat/completions",
                 ChatBody("chat", R"(,"stream":true,"x_fake":{"first_byte_delay_ms":5000})"),
                 Auth(stack->key))
          .ok());
  // The fake has the request (and is delaying its answer).
  ASSERT_TRUE(PollUntil([&] { return FakeRequests().size() == 1; }, absl::Seconds(5)));
  const absl::Time closed = absl::Now();
  (*connection)->Close();
  ASSERT_TRUE(PollUntil([&] { return FakeStat("client_disconnects") > before; }, absl::Seconds(5)));
  EXPECT_LT(absl::Now() - closed, absl::Milliseconds(800));
}

TEST_F(ServingTest, KeepAliveConnectionServesAnotherRequestAfterAStream) {
  auto connection = TestHttpConnection::Open(stack->worker_address);
  ASSERT_TRUE(connection.ok()) << connection.status();
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE((*connection)
                    ->Send("POST", "/v1/chat/completions", ChatBody("chat", R"(,"stream":true)"),
                           Auth(stack->key))
                    .ok());
    auto response = (*connection)->ReadResponse();
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(SseData(response->body).back(), "[DONE]");
  }
}

TEST_F(ServingTest, EachRequestOnAKeepAliveConnectionReachesTheProviderWithItsOwnBody) {
  // The session keeps a body's storage for the next request: nothing of a longer body may stay.
  auto connection = TestHttpConnection::Open(stack->worker_address);
  ASSERT_TRUE(connection.ok()) << connection.status();
  const std::vector<std::string> bodies = {
      ChatBody("chat", absl::StrCat(R"(,"user":")", std::string(3000, 'x'), R"(")")),
      ChatBody("chat"), ChatBody("chat", R"(,"user":"short")")};
  for (const std::string& body : bodies) {
    ASSERT_TRUE((*connection)->Send("POST", "/v1/chat/completions", body, Auth(stack->key)).ok());
    auto response = (*connection)->ReadResponse();
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 200) << response->body;
  }
  const json::array requests = FakeRequests();
  ASSERT_EQ(requests.size(), bodies.size());
  for (size_t i = 0; i < bodies.size(); ++i) {
    EXPECT_EQ(WithoutModel(bodies[i]), WithoutModel(requests[i].at("body").as_string()))
        << "request " << i;
  }
}

TEST_F(ServingTest, ConcurrentBufferedAndStreamedRequestsAllSucceed) {
  constexpr int kClients = 6;
  constexpr int kRequestsPerClient = 8;
  std::vector<int> ok(kClients, 0);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([c, &ok] {
      const bool stream = c % 2 == 1;
      for (int i = 0; i < kRequestsPerClient; ++i) {
        auto response = TestHttpCall(stack->worker_address, "POST", "/v1/chat/completions",
                                     ChatBody("chat", stream ? R"(,"stream":true)" : ""),
                                     {{"authorization", absl::StrCat("Bearer ", stack->key)}});
        if (!response.ok() || response->status != 200) continue;
        const std::vector<std::string> events = SseData(response->body);
        if (stream && (events.empty() || events.back() != "[DONE]")) continue;
        if (!stream && !absl::StrContains(response->body, "hello there world")) continue;
        ++ok[c];
      }
    });
  }
  for (std::thread& client : clients) client.join();
  for (int c = 0; c < kClients; ++c) EXPECT_EQ(ok[c], kRequestsPerClient) << "client " << c;
}

}  // namespace
}  // namespace gw::testing
