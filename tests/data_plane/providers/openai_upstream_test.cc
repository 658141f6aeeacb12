// The OpenAI adapter (made through the provider registry) and the upstream client together
// against a scripted provider on loopback: the loop each test runs is the serving pipeline's.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/co_spawn.hpp"
#include "boost/asio/io_context.hpp"
#include "data_plane/providers/json_scan.h"
#include "data_plane/providers/provider.h"
#include "data_plane/providers/provider_error.h"
#include "data_plane/providers/provider_registry.h"
#include "data_plane/providers/sse_parser.h"
#include "data_plane/upstream/upstream_client.h"
#include "gtest/gtest.h"
#include "tests/data_plane/upstream/scripted_server.h"

namespace gw::dp {
namespace {

namespace asio = boost::asio;
using ::gw::testing::Chunk;
using ::gw::testing::OkResponse;
using ::gw::testing::ScriptedConnection;
using ::gw::testing::ScriptedServer;

constexpr absl::string_view kContent =
    R"({"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"}}],"usage":null})";
constexpr absl::string_view kUsage =
    R"({"id":"c1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}})";

// What the pipeline's handler would produce for the client.
struct Outcome {
  int upstream_status = 0;
  std::string client_bytes;  // Forwarded events, or the error body.
  unsigned client_status = 200;
  TokenUsage usage;
};

class OpenAiUpstreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto client = UpstreamClient::Create(io_.get_executor(), {});
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
  }

  void UseServer(const ScriptedServer& server) {
    UseProvider(absl::StrCat("http://127.0.0.1:", server.port(), "/v1"));
  }

  void UseProvider(const std::string& base_url) {
    gateway::config::v1::Provider config;
    config.set_name("fake-openai");
    config.set_type(gateway::config::v1::PROVIDER_TYPE_OPENAI_COMPATIBLE);
    config.set_base_url(base_url);
    auto provider = MakeProvider(config, "sk-fake-key");
    ASSERT_TRUE(provider.ok()) << provider.status();
    provider_ = *std::move(provider);
  }

  // The serving loop: plan, send, then forward (streaming) or buffer (non-streaming).
  asio::awaitable<void> Serve(const std::string& body, Outcome& outcome) {
    const Provider& provider = *provider_;
    JsonObjectScan scan;
    EXPECT_TRUE(ScanJsonObject(body, scan).ok());
    RequestPlan plan;
    EXPECT_TRUE(
        provider.Plan(ApiKind::kChatCompletions, body, scan, "gpt-upstream", "req-42", plan).ok());
    UpstreamCall call(*client_);
    absl::StatusOr<ResponseHead> head = co_await call.Send(plan.ToUpstreamRequest());
    if (!head.ok()) {
      const ProviderError error = provider.MapFailure(head.status());
      outcome.client_status = error.http_status;
      outcome.client_bytes = error.body;
      co_return;
    }
    outcome.upstream_status = head->status;
    if (head->status >= 400 || !plan.stream) {
      std::string response;
      const absl::Status read = co_await call.ReadAll(response);
      if (!read.ok()) {
        const ProviderError error = provider.MapFailure(read);
        outcome.client_status = error.http_status;
        outcome.client_bytes = error.body;
      } else if (head->status >= 400) {
        const ProviderError error =
            provider.MapErrorResponse(head->status, response, head->headers->Find("retry-after"));
        outcome.client_status = error.http_status;
        outcome.client_bytes = error.body;
      } else {
        outcome.usage = provider.ExtractUsage(ApiKind::kChatCompletions, response);
        outcome.client_bytes = std::move(response);
      }
      co_return;
    }
    SseParser sse;
    StreamState state;
    state.client_wants_usage = plan.client_wants_usage;
    while (true) {
      absl::StatusOr<absl::string_view> chunk = co_await call.ReadBody();
      if (!chunk.ok()) {
        // After the first byte: an error event and no [DONE].
        AppendStreamErrorEvent(provider.MapFailure(chunk.status()), outcome.client_bytes);
        break;
      }
      if (chunk->empty()) break;
      sse.Feed(*chunk);
      SseEvent event;
      while (sse.Next(event)) provider.OnStreamEvent(event, state, outcome.client_bytes);
    }
    outcome.usage = state.usage;
  }

  Outcome Run(const std::string& body) {
    Outcome outcome;
    bool done = false;
    asio::co_spawn(io_, Serve(body, outcome), [&](std::exception_ptr) { done = true; });
    io_.restart();
    while (!done && io_.run_one() > 0) {
    }
    return outcome;
  }

  asio::io_context io_;
  std::unique_ptr<UpstreamClient> client_;
  std::unique_ptr<const Provider> provider_;
};

// A provider that streams content, the usage chunk and [DONE], split at awkward places.
ScriptedServer::Script StreamingProvider() {
  return [](ScriptedConnection& c) -> asio::awaitable<void> {
    while (auto request = co_await c.ReadRequest()) {
      c.server().RecordRequest(*request);
      const std::string events =
          absl::StrCat("data: ", kContent, "\n\ndata: ", kUsage, "\n\ndata: [DONE]\n\n");
      co_await c.Write(
          "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
          "Transfer-Encoding: chunked\r\n\r\n");
      for (size_t at = 0; at < events.size(); at += 37) {
        co_await c.Write(Chunk(absl::string_view(events).substr(at, 37)));
      }
      co_await c.Write(Chunk(""));
    }
  };
}

TEST_F(OpenAiUpstreamTest, StreamForwardsEventsMetersUsageAndHidesTheUsageChunk) {
  ScriptedServer server(StreamingProvider());
  UseServer(server);
  const Outcome outcome = Run(
      R"({"model":"alias","stream":true,"messages":[{"role":"user","content":"hi"}],"temperature":0.7})");
  EXPECT_EQ(outcome.upstream_status, 200);
  EXPECT_EQ(outcome.client_bytes, absl::StrCat("data: ", kContent, "\n\ndata: [DONE]\n\n"));
  EXPECT_TRUE(outcome.usage.reported);
  EXPECT_EQ(outcome.usage.prompt_tokens, 12);
  EXPECT_EQ(outcome.usage.completion_tokens, 3);

  ASSERT_EQ(server.requests().size(), 1u);
  const std::string request = server.requests()[0];
  EXPECT_TRUE(absl::StartsWith(request, "POST /v1/chat/completions HTTP/1.1\r\n"));
  EXPECT_TRUE(absl::StrContains(request, "Authorization: Bearer sk-fake-key\r\n"));
  EXPECT_TRUE(absl::StrContains(request, "x-request-id: req-42\r\n"));
  EXPECT_TRUE(absl::StrContains(request, "Accept-Encoding: identity\r\n"));
  EXPECT_TRUE(absl::EndsWith(
      request,
      R"({"model":"gpt-upstream","stream":true,"messages":[{"role":"user","content":"hi"}],)"
      R"("temperature":0.7,"stream_options":{"include_usage":true}})"));
}

TEST_F(OpenAiUpstreamTest, ClientThatAskedForUsageGetsTheUsageChunk) {
  ScriptedServer server(StreamingProvider());
  UseServer(server);
  const Outcome outcome = Run(
      R"({"model":"alias","stream":true,"stream_options":{"include_usage":true},"messages":[]})");
  EXPECT_EQ(outcome.client_bytes,
            absl::StrCat("data: ", kContent, "\n\ndata: ", kUsage, "\n\ndata: [DONE]\n\n"));
}

TEST_F(OpenAiUpstreamTest, NonStreamingBodyIsPassedOnAndMetered) {
  const std::string response =
      R"({"id":"x","choices":[{"message":{"role":"assistant","content":"Hello"}}],)"
      R"("usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6,)"
      R"("prompt_tokens_details":{"cached_tokens":2}}})";
  ScriptedServer server([&](ScriptedConnection& c) -> asio::awaitable<void> {
    while (auto request = co_await c.ReadRequest()) co_await c.Write(OkResponse(response));
  });
  UseServer(server);
  const Outcome outcome = Run(R"({"model":"alias","messages":[]})");
  EXPECT_EQ(outcome.client_bytes, response);
  EXPECT_EQ(outcome.usage.prompt_tokens, 5);
  EXPECT_EQ(outcome.usage.cached_prompt_tokens, 2);
}

TEST_F(OpenAiUpstreamTest, ProviderRefusalIsPassedThrough) {
  ScriptedServer server([](ScriptedConnection& c) -> asio::awaitable<void> {
    while (co_await c.ReadRequest()) {
      const std::string body =
          R"({"error":{"message":"Incorrect API key provided: sk-fake-key","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})";
      co_await c.Write(absl::StrCat("HTTP/1.1 401 Unauthorized\r\nContent-Length: ", body.size(),
                                    "\r\n\r\n", body));
    }
  });
  UseServer(server);
  const Outcome outcome = Run(R"({"model":"alias","messages":[]})");
  EXPECT_EQ(outcome.client_status, 401u);
  EXPECT_TRUE(absl::StrContains(outcome.client_bytes, R"("code":"invalid_api_key")"));
  EXPECT_FALSE(absl::StrContains(outcome.client_bytes, "sk-fake-key")) << outcome.client_bytes;
}

TEST_F(OpenAiUpstreamTest, UnreachableProviderIsBadGateway) {
  uint16_t port;
  {
    asio::io_context side;
    asio::ip::tcp::acceptor probe(side,
                                  asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }
  UseProvider(absl::StrCat("http://127.0.0.1:", port, "/v1"));
  const Outcome outcome = Run(R"({"model":"alias","messages":[]})");
  EXPECT_EQ(outcome.client_status, 502u);
  EXPECT_TRUE(absl::StrContains(outcome.client_bytes, R"("type":"api_error")"));
}

TEST_F(OpenAiUpstreamTest, StreamCutMidwayEndsWithAnErrorEventAndNoDone) {
  ScriptedServer server([](ScriptedConnection& c) -> asio::awaitable<void> {
    if (!co_await c.ReadRequest()) co_return;
    co_await c.Write(absl::StrCat(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
        Chunk(absl::StrCat("data: ", kContent, "\n\n"))));
    co_await c.Sleep(absl::Milliseconds(20));
    c.Reset();
  });
  UseServer(server);
  const Outcome outcome = Run(R"({"model":"alias","stream":true,"messages":[]})");
  EXPECT_TRUE(absl::StartsWith(outcome.client_bytes, absl::StrCat("data: ", kContent, "\n\n")));
  EXPECT_TRUE(absl::StrContains(outcome.client_bytes, R"(data: {"error":{)"));
  EXPECT_FALSE(absl::StrContains(outcome.client_bytes, "[DONE]"));
}

TEST(ProviderRegistryTest, UnsupportedTypeIsUnimplementedAndBadCredentialIsNotEchoed) {
  gateway::config::v1::Provider config;
  config.set_name("claude");
  config.set_type(gateway::config::v1::PROVIDER_TYPE_ANTHROPIC);
  config.set_base_url("https://api.anthropic.com");
  EXPECT_EQ(MakeProvider(config, "k").status().code(), absl::StatusCode::kUnimplemented);
  config.set_type(gateway::config::v1::PROVIDER_TYPE_OPENAI);
  const absl::Status bad = MakeProvider(config, "sk-line\nbreak").status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.message().find("sk-line"), absl::string_view::npos);
}

}  // namespace
}  // namespace gw::dp
