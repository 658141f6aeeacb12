// gw-fake-provider over real loopback sockets: OpenAI's wire format, fault injection as a client
// sees it, the control endpoints, and TLS with a CA generated for the test.
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "boost/asio/error.hpp"
#include "boost/beast/core/error.hpp"
#include "boost/beast/http/error.hpp"
#include "boost/json/parse.hpp"
#include "boost/json/serialize.hpp"
#include "gtest/gtest.h"
#include "tests/fakes/testing/fake_provider_process.h"
#include "tests/fakes/testing/test_http_connection.h"

namespace gw::testing {
namespace {

namespace json = boost::json;

constexpr char kBinary[] = GW_BIN_DIR "/gw-fake-provider";

std::unique_ptr<FakeProviderProcess> StartFake(std::vector<std::string> args = {},
                                               std::map<std::string, std::string> env = {}) {
  auto fake = FakeProviderProcess::Start(kBinary, std::move(args), env);
  EXPECT_TRUE(fake.ok()) << fake.status();
  return fake.ok() ? std::move(*fake) : nullptr;
}

std::string ChatBody(const std::string& user, const std::string& extra = "") {
  json::object body{
      {"model", "gpt-4o-mini"},
      {"messages", json::array{json::object{{"role", "system"}, {"content", "You are terse."}},
                               json::object{{"role", "user"}, {"content", user}}}}};
  std::string out = json::serialize(body);
  if (!extra.empty()) out = out.substr(0, out.size() - 1) + "," + extra + "}";
  return out;
}

TestResponse Call(const FakeProviderProcess& fake, const std::string& method,
                  const std::string& target, const std::string& body = "",
                  const std::map<std::string, std::string>& headers = {},
                  const TestTlsOptions* tls = nullptr) {
  absl::StatusOr<TestResponse> r = TestHttpCall(fake.address(), method, target, body, headers, tls);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : TestResponse{};
}

json::value Json(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  EXPECT_FALSE(ec) << "not JSON: " << text;
  return v;
}

int64_t Stat(const FakeProviderProcess& fake, const std::string& name,
             const TestTlsOptions* tls = nullptr) {
  const TestResponse r = Call(fake, "GET", "/_fake/stats", "", {}, tls);
  const json::value v = Json(r.body);
  return v.is_object() && v.as_object().contains(name) ? v.at(name).as_int64() : -1;
}

// Polls GET /_fake/stats until `name` reaches `want`; false after `timeout`.
bool WaitForStat(const FakeProviderProcess& fake, const std::string& name, int64_t want,
                 const TestTlsOptions* tls = nullptr) {
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (absl::Now() < deadline) {
    if (Stat(fake, name, tls) >= want) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return false;
}

std::vector<json::value> StreamChunks(const TestResponse& r, std::string* last_data = nullptr) {
  std::vector<json::value> chunks;
  for (const std::string& data : SseData(r.body)) {
    if (last_data) *last_data = data;
    if (data != "[DONE]") chunks.push_back(Json(data));
  }
  return chunks;
}

void ExpectOpenAIError(const TestResponse& r, int status, const std::string& type) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  const json::value v = Json(r.body);
  ASSERT_TRUE(v.is_object() && v.as_object().contains("error")) << r.body;
  const json::object& e = v.at("error").as_object();
  EXPECT_TRUE(e.at("message").is_string());
  EXPECT_EQ(e.at("type"), json::value(type.c_str())) << r.body;
  EXPECT_TRUE(e.contains("param"));
  EXPECT_TRUE(e.contains("code"));
}

TEST(FakeProvider, ChatCompletionHasOpenAIsShapeAndExactUsage) {
  auto fake = StartFake();
  ASSERT_TRUE(fake);
  const TestResponse r =
      Call(*fake, "POST", "/v1/chat/completions", ChatBody("Echo these four words"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  EXPECT_FALSE(r.headers.at("x-request-id").empty());
  const json::value v = Json(r.body);
  EXPECT_EQ(v.at("object"), "chat.completion");
  EXPECT_EQ(v.at("id").as_string().subview().substr(0, 9), "chatcmpl-");
  EXPECT_EQ(v.at("model"), "gpt-4o-mini");
  EXPECT_GT(v.at("created").as_int64(), 1700000000);
  EXPECT_TRUE(v.at("system_fingerprint").is_string());
  const json::value& choice = v.at("choices").at(0);
  EXPECT_EQ(choice.at("index"), 0);
  EXPECT_EQ(choice.at("message").at("role"), "assistant");
  EXPECT_EQ(choice.at("message").at("content"), "Echo these four words");
  EXPECT_EQ(choice.at("finish_reason"), "stop");
  // Prompt: "You are terse." (3 words) + "Echo these four words" (4 words).
  EXPECT_EQ(v.at("usage").at("prompt_tokens"), 7);
  EXPECT_EQ(v.at("usage").at("completion_tokens"), 4);
  EXPECT_EQ(v.at("usage").at("total_tokens"), 11);
  EXPECT_EQ(v.at("usage").at("prompt_tokens_details").at("cached_tokens"), 0);
}

TEST(FakeProvider, MaxTokensCutsTheAnswerWithFinishReasonLength) {
  auto fake = StartFake({"--completion-tokens", "40", "--cached-tokens", "2"});
  ASSERT_TRUE(fake);
  const TestResponse r =
      Call(*fake, "POST", "/v1/chat/completions", ChatBody("hi", R"("max_tokens": 5)"));
  const json::value v = Json(r.body);
  EXPECT_EQ(v.at("choices").at(0).at("finish_reason"), "length");
  EXPECT_EQ(v.at("choices").at(0).at("message").at("content"), "lorem ipsum dolor sit amet");
  EXPECT_EQ(v.at("usage").at("completion_tokens"), 5);
  EXPECT_EQ(v.at("usage").at("prompt_tokens"), 4);
  EXPECT_EQ(v.at("usage").at("prompt_tokens_details").at("cached_tokens"), 2);
}

TEST(FakeProvider, StreamFollowsOpenAIsEventSequence) {
  auto fake = StartFake();
  ASSERT_TRUE(fake);
  for (const bool include_usage : {false, true}) {
    SCOPED_TRACE(include_usage ? "with include_usage" : "without include_usage");
    const std::string extra = include_usage
                                  ? R"("stream": true, "stream_options": {"include_usage": true})"
                                  : R"("stream": true)";
    const TestResponse r =
        Call(*fake, "POST", "/v1/chat/completions", ChatBody("one two three", extra));
    ASSERT_EQ(r.status, 200);
    EXPECT_FALSE(r.end) << r.end.message();
    EXPECT_EQ(r.headers.at("content-type"), "text/event-stream; charset=utf-8");
    std::string last;
    const std::vector<json::value> chunks = StreamChunks(r, &last);
    EXPECT_EQ(last, "[DONE]");
    ASSERT_EQ(chunks.size(), include_usage ? 6u : 5u) << r.body;
    const json::value id = chunks[0].at("id");
    for (const json::value& c : chunks) {
      EXPECT_EQ(c.at("object"), "chat.completion.chunk");
      EXPECT_EQ(c.at("id"), id);
      EXPECT_EQ(c.at("model"), "gpt-4o-mini");
      EXPECT_EQ(c.as_object().contains("usage"), include_usage);
    }
    EXPECT_EQ(chunks[0].at("choices").at(0).at("delta").at("role"), "assistant");
    EXPECT_TRUE(chunks[0].at("choices").at(0).at("finish_reason").is_null());
    std::string content;
    for (size_t i = 1; i <= 3; ++i) {
      content += chunks[i].at("choices").at(0).at("delta").at("content").as_string();
    }
    EXPECT_EQ(content, "one two three");
    EXPECT_EQ(chunks[4].at("choices").at(0).at("finish_reason"), "stop");
    EXPECT_TRUE(chunks[4].at("choices").at(0).at("delta").as_object().empty());
    if (include_usage) {
      EXPECT_TRUE(chunks[5].at("choices").as_array().empty());
      EXPECT_EQ(chunks[5].at("usage").at("prompt_tokens"), 6);
      EXPECT_EQ(chunks[5].at("usage").at("completion_tokens"), 3);
      EXPECT_EQ(chunks[5].at("usage").at("total_tokens"), 9);
      for (size_t i = 0; i < 5; ++i) EXPECT_TRUE(chunks[i].at("usage").is_null());
    }
  }
  EXPECT_EQ(Stat(*fake, "streams_completed"), 2);
}

TEST(FakeProvider, StreamEventsLeaveOneByOneAtTheConfiguredPace) {
  auto fake = StartFake();
  ASSERT_TRUE(fake);
  auto c = TestHttpConnection::Open(fake->address());
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE((*c)->Send("POST", "/v1/chat/completions", ChatBody("x", R"("stream": true,
                                  "x_fake": {"chunks": 4, "chunk_interval_ms": 100,
                                             "completion_tokens": 8})"))
                  .ok());
  auto r = (*c)->ReadResponse();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->end) << r->end.message();
  // role, 4 content chunks, finish, [DONE] + the chunked terminator: one HTTP chunk each.
  ASSERT_GE(r->chunks.size(), 7u);
  for (size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(SseData(r->chunks[i].second).size(), 1u)
        << "chunk " << i << " batched events: " << r->chunks[i].second << " at "
        << r->chunks[i].first;
  }
  // Four 100 ms pauses before content chunks 1-4 and the finish chunk: the first event must not
  // wait for the others.
  EXPECT_LT(r->chunks[0].first, absl::Milliseconds(80));
  EXPECT_GE(r->chunks[5].first - r->chunks[0].first, absl::Milliseconds(400));
  std::string content;
  const std::vector<json::value> chunks = StreamChunks(*r);
  for (size_t i = 1; i <= 4; ++i) {
    content += chunks[i].at("choices").at(0).at("delta").at("content").as_string();
  }
  EXPECT_EQ(content, "lorem ipsum dolor sit amet consectetur adipiscing elit");
}

TEST(FakeProvider, ZeroIntervalStreamsAreFast) {
  auto fake = StartFake();
  ASSERT_TRUE(fake);
  const absl::Time start = absl::Now();
  const TestResponse r =
      Call(*fake, "POST", "/v1/chat/completions",
           ChatBody("x", R"("stream": true, "x_fake": {"completion_tokens": 2000})"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_FALSE(r.end) << r.end.message();
  EXPECT_EQ(StreamChunks(r).size(), 2002u);
}

TEST(FakeProvider, KeepAliveServesManyRequestsOnOneConnection) {
  auto fake = StartFake();
  ASSERT_TRUE(fake);
  auto c = TestHttpConnection::Open(fake->address());
  ASSERT_TRUE(c.ok()) << c.status();
  for (int i = 0; i < 5; ++i) {
    const bool stream = i % 2 == 1;
    ASSERT_TRUE((*c)->Send("POST", "/v1/chat/completions",
                           ChatBody("a b", stream ? R"("stream": true)" : ""))
                    .ok());
    auto r = (*c)->ReadResponse();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, 200);
    EXPECT_FALSE(r->end);
  }
  EXPECT_EQ(Stat(*fake, "connections"), 2);  // the keep-alive one and this stats call
}

TEST(FakeProvider, AnswersExpectContinueBeforeTheBody) {
  auto fake = StartFake();
  ASSERT_TRUE(fake);
  auto c = TestHttpConnection::Open(fake->address());
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(
      (*c)->Send("POST", "/v1/chat/completions", ChatBody("hi"), {{"Expect", "100-continue"}})
          .ok());
  auto interim = (*c)->ReadResponse();
  ASSERT_TRUE(interim.ok()) << interim.status();
  EXPECT_EQ(interim->status, 100);
  auto r = (*c)->ReadResponse();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
}

TEST(FakeProvider, EmbeddingsAreDeterministicWithExactUsage) {
  auto fake = StartFake();
  ASSERT_TRUE(fake);
  const std::string body =
      R"({"model": "text-embedding-3-small", "input": ["hello world", "hello", "hello world"]})";
  const TestResponse r = Call(*fake, "POST", "/v1/embeddings", body);
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value v = Json(r.body);
  EXPECT_EQ(v.at("object"), "list");
  EXPECT_EQ(v.at("model"), "text-embedding-3-small");
  const json::array& data = v.at("data").as_array();
  ASSERT_EQ(data.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(data[i].at("object"), "embedding");
    EXPECT_EQ(data[i].at("index"), static_cast<int64_t>(i));
    EXPECT_EQ(data[i].at("embedding").as_array().size(), 8u);
  }
  EXPECT_EQ(data[0].at("embedding"), data[2].at("embedding"));
  EXPECT_NE(data[0].at("embedding"), data[1].at("embedding"));
  EXPECT_EQ(v.at("usage").at("prompt_tokens"), 5);
  EXPECT_EQ(v.at("usage").at("total_tokens"), 5);

  const TestResponse again = Call(*fake, "POST", "/v1/embeddings",
                                  R"({"model": "e", "input": "hello world", "dimensions": 3})");
  const json::value w = Json(again.body);
  ASSERT_EQ(w.at("data").at(0).at("embedding").as_array().size(), 3u);
  EXPECT_EQ(w.at("usage").at("prompt_tokens"), 2);

  const TestResponse b64 = Call(*fake, "POST", "/v1/embeddings",
                                R"({"model": "e", "input": "x", "encoding_format": "base64"})");
  EXPECT_TRUE(Json(b64.body).at("data").at(0).at("embedding").is_string());
  ExpectOpenAIError(Call(*fake, "POST", "/v1/embeddings", R"({"model": "e"})"), 400,
                    "invalid_request_error");
}

TEST(FakeProvider, ModelsList) {
  auto fake = StartFake({"--models", "alpha,beta"});
  ASSERT_TRUE(fake);
  const TestResponse r = Call(*fake, "GET", "/v1/models");
  ASSERT_EQ(r.status, 200);
  const json::value v = Json(r.body);
  EXPECT_EQ(v.at("object"), "list");
  ASSERT_EQ(v.at("data").as_array().size(), 2u);
  EXPECT_EQ(v.at("data").at(1).at("id"), "beta");
  EXPECT_EQ(v.at("data").at(1).at("object"), "model");
  EXPECT_TRUE(v.at("data").at(1).at("owned_by").is_string());
  EXPECT_EQ(Call(*fake, "GET", "/v1/models/alpha").status, 200);
  ExpectOpenAIError(Call(*fake, "GET", "/v1/models/gamma"), 404, "invalid_request_error");
  ExpectOpenAIError(Call(*fake, "GET", "/v1/nothing"), 404, "invalid_request_error");
}

TEST(FakeProvider, InjectedStatusesUseOpenAIsErrorShape) {
  auto fake = StartFake();
  ASSERT_TRUE(fake);
  const std::vector<std::pair<int, std::string>> cases = {
      {400, "invalid_request_error"}, {401, "invalid_request_error"},
      {404, "invalid_request_error"}, {429, "requests"},
      {500, "server_error"},          {503, "server_error"}};
  for (const auto& [status, type] : cases) {
    SCOPED_TRACE(status);
    const TestResponse r = Call(*fake, "POST", "/v1/chat/completions",
                                ChatBody("x", absl::StrCat(R"("x_fake": {"status": )", status,
                                                           R"(, "retry_after_s": 7})")));
    ExpectOpenAIError(r, status, type);
    EXPECT_EQ(r.headers.contains("retry-after"), status == 429 || status == 503);
    if (r.headers.contains("retry-after")) {
      EXPECT_EQ(r.headers.at("retry-after"), "7");
    }
  }
  const TestResponse custom = Call(
      *fake, "POST", "/v1/chat/completions",
      ChatBody("x", R"("x_fake": {"status": 402, "error_message": "pay up", "error_code": "c"})"));
  EXPECT_EQ(custom.status, 402);
  EXPECT_EQ(Json(custom.body).at("error").at("message"), "pay up");
  EXPECT_EQ(Json(custom.body).at("error").at("code"), "c");
  // Streams fail the same way, as a JSON error before any event.
  const TestResponse stream = Call(*fake, "POST", "/v1/chat/completions",
                                   ChatBody("x", R"("stream": true, "x_fake": {"status": 500})"));
  ExpectOpenAIError(stream, 500, "server_error");
  EXPECT_EQ(Stat(*fake, "error_responses"), 8);
}

TEST(FakeProvider, MalformedRequestsGetOpenAIsErrors) {
  auto fake = StartFake();
  ASSERT_TRUE(fake);
  ExpectOpenAIError(Call(*fake, "POST", "/v1/chat/completions", "{not json"), 400,
                    "invalid_request_error");
  ExpectOpenAIError(Call(*fake, "POST", "/v1/chat/completions", R"({"model": "m"})"), 400,
                    "invalid_request_error");
  const TestResponse typo =
      Call(*fake, "POST", "/v1/chat/completions", ChatBody("x", R"("x_fake": {"stauts": 500})"));
  ExpectOpenAIError(typo, 400, "invalid_request_error");
  EXPECT_NE(typo.body.find("stauts"), std::string::npos);
}

TEST(FakeProvider, UnreadableHttpGets400) {
  auto fake = StartFake();
  ASSERT_TRUE(fake);
  auto c = TestHttpConnection::Open(fake->address());
  ASSERT_TRUE(c.ok()) << c.status();
  // A Content-Length that is not a number cannot be framed.
  ASSERT_TRUE((*c)->Send("POST", "/v1/chat/completions", "", {{"Content-Length", "x1"}}).ok());
  auto r = (*c)->ReadResponse();
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectOpenAIError(*r, 400, "invalid_request_error");
  EXPECT_EQ(Json(r->body).at("error").at("message"), "Malformed HTTP request.");
}

TEST(FakeProvider, RequireKeyAnswers401WithoutTheRightBearer) {
  for (const bool from_env : {false, true}) {
    SCOPED_TRACE(from_env ? "--api-key-env" : "--require-key");
    auto fake = from_env ? StartFake({"--api-key-env", "FAKE_KEY_FOR_TEST"},
                                     {{"FAKE_KEY_FOR_TEST", "sk-test-123"}})
                         : StartFake({"--require-key", "sk-test-123"});
    ASSERT_TRUE(fake);
    const std::string body = ChatBody("hi");
    ExpectOpenAIError(Call(*fake, "POST", "/v1/chat/completions", body), 401,
                      "invalid_request_error");
    const TestResponse wrong = Call(*fake, "POST", "/v1/chat/completions", body,
                                    {{"Authorization", "Bearer sk-test-999"}});
    ExpectOpenAIError(wrong, 401, "invalid_request_error");
    EXPECT_EQ(Json(wrong.body).at("error").at("code"), "invalid_api_key");
    EXPECT_EQ(wrong.body.find("sk-test"), std::string::npos) << "the key must not be echoed";
    EXPECT_EQ(
        Call(*fake, "POST", "/v1/chat/completions", body, {{"Authorization", "Bearer sk-test-123"}})
            .status,
        200);
    EXPECT_EQ(
        Call(*fake, "GET", "/v1/models", "", {{"Authorization", "Bearer sk-test-123"}}).status,
        200);
  }
  auto missing = FakeProviderProcess::Start(kBinary, {"--api-key-env", "FAKE_KEY_NOT_SET_X"});
  EXPECT_FALSE(missing.ok());
}

TEST(FakeProvider, PerRequestOverridesSteerContentAndLatency) {
  auto fake = StartFake();
  ASSERT_TRUE(fake);
  const TestResponse fixed =
      Call(*fake, "POST", "/v1/chat/completions",
           ChatBody("ignored", R"("x_fake": {"content": "fixed answer here"})"));
  EXPECT_EQ(Json(fixed.body).at("choices").at(0).at("message").at("content"), "fixed answer here");
  EXPECT_EQ(Json(fixed.body).at("usage").at("completion_tokens"), 3);

  const TestResponse generated = Call(*fake, "POST", "/v1/chat/completions",
                                      ChatBody("x", R"("x_fake": {"completion_tokens": 250})"));
  EXPECT_EQ(Json(generated.body).at("usage").at("completion_tokens"), 250);

  const absl::Time start = absl::Now();
  const TestResponse slow = Call(*fake, "POST", "/v1/chat/completions",
                                 ChatBody("x", R"("x_fake": {"first_byte_delay_ms": 300})"));
  EXPECT_EQ(slow.status, 200);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));

  // Overrides apply to one request only.
  const TestResponse plain = Call(*fake, "POST", "/v1/chat/completions", ChatBody("back again"));
  EXPECT_EQ(Json(plain.body).at("choices").at(0).at("message").at("content"), "back again");
}

TEST(FakeProvider, BehaviourEndpointSetsDefaultsOptionallyForNRequests) {
  auto fake = StartFake();
  ASSERT_TRUE(fake);
  const TestResponse set =
      Call(*fake, "POST", "/_fake/behaviour", R"({"status": 503, "times": 2})");
  ASSERT_EQ(set.status, 200) << set.body;
  const std::string body = ChatBody("x");
  EXPECT_EQ(Call(*fake, "POST", "/v1/chat/completions", body).status, 503);
  EXPECT_EQ(Call(*fake, "POST", "/v1/chat/completions", body).status, 503);
  EXPECT_EQ(Call(*fake, "POST", "/v1/chat/completions", body).status, 200);

  ASSERT_EQ(Call(*fake, "POST", "/_fake/behaviour", R"({"content": "always"})").status, 200);
  EXPECT_EQ(Json(Call(*fake, "GET", "/_fake/behaviour").body).at("content"), "always");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Json(Call(*fake, "POST", "/v1/chat/completions", body).body)
                  .at("choices")
                  .at(0)
                  .at("message")
                  .at("content"),
              "always");
  }
  ASSERT_EQ(Call(*fake, "POST", "/_fake/behaviour", "{}").status, 200);
  EXPECT_EQ(Json(Call(*fake, "POST", "/v1/chat/completions", body).body)
                .at("choices")
                .at(0)
                .at("message")
                .at("content"),
            "x");
  EXPECT_EQ(Call(*fake, "POST", "/_fake/behaviour", R"({"nope": 1})").status, 400);
}

TEST(FakeProvider, ResetMidStreamIsAnAbruptClose) {
  auto fake = StartFake();
  ASSERT_TRUE(fake);
  auto c = TestHttpConnection::Open(fake->address());
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE((*c)->Send("POST", "/v1/chat/completions",
                         ChatBody("a b c d e f g h",
                                  R"("stream": true, "x_fake": {"reset_after_chunks": 3,
                                                                "chunk_interval_ms": 20})"))
                  .ok());
  auto r = (*c)->ReadResponse();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->end, boost::asio::error::connection_reset) << r->end.message();
  EXPECT_EQ(SseData(r->body).size(), 3u) << r->body;
  EXPECT_EQ(Stat(*fake, "resets"), 1);

  // Without streaming the reset replaces the answer.
  auto c2 = TestHttpConnection::Open(fake->address());
  ASSERT_TRUE(c2.ok());
  ASSERT_TRUE((*c2)
                  ->Send("POST", "/v1/chat/completions",
                         ChatBody("x", R"("x_fake": {"reset_after_chunks": 0})"))
                  .ok());
  EXPECT_FALSE((*c2)->ReadResponse().ok());
}

TEST(FakeProvider, StallAfterChunksKeepsTheStreamOpenWithoutData) {
  auto fake = StartFake();
  ASSERT_TRUE(fake);
  auto c = TestHttpConnection::Open(fake->address());
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(
      (*c)->Send("POST", "/v1/chat/completions",
                 ChatBody("a b c d", R"("stream": true, "x_fake": {"stall_after_chunks": 2})"))
          .ok());
  auto head = (*c)->ReadHead();
  ASSERT_TRUE(head.ok()) << head.status();
  (*c)->ReadBody(*head, absl::Milliseconds(500));
  EXPECT_EQ(head->end, boost::beast::error::timeout) << head->end.message();
  EXPECT_EQ(SseData(head->body).size(), 2u);
  EXPECT_EQ(Stat(*fake, "stalls"), 1);
}

TEST(FakeProvider, StallNeverAnswers) {
  auto fake = StartFake({"--stall"});
  ASSERT_TRUE(fake);
  auto c = TestHttpConnection::Open(fake->address());
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE((*c)->Send("POST", "/v1/chat/completions", ChatBody("x")).ok());
  EXPECT_EQ((*c)->ReadResponse(absl::Milliseconds(300)).status().code(),
            absl::StatusCode::kUnavailable);
  // Control paths are never stalled.
  EXPECT_EQ(Stat(*fake, "stalls"), 1);
}

TEST(FakeProvider, TruncatedBodiesEndEarly) {
  auto fake = StartFake();
  ASSERT_TRUE(fake);
  const TestResponse plain = Call(*fake, "POST", "/v1/chat/completions",
                                  ChatBody("some words", R"("x_fake": {"truncate_body": true})"));
  EXPECT_EQ(plain.status, 200);
  EXPECT_EQ(plain.end, boost::beast::http::error::partial_message) << plain.end.message();
  EXPECT_LT(plain.body.size(), std::stoul(plain.headers.at("content-length")));

  const TestResponse stream =
      Call(*fake, "POST", "/v1/chat/completions",
           ChatBody("a b c", R"("stream": true, "x_fake": {"truncate_body": true})"));
  EXPECT_TRUE(stream.end) << "a truncated stream must not end cleanly";
  const std::vector<std::string> data = SseData(stream.body);
  EXPECT_EQ(data.size(), 4u);  // role + 3 content chunks; no finish chunk and no [DONE]
  for (const std::string& d : data) EXPECT_NE(d, "[DONE]");
  EXPECT_EQ(Stat(*fake, "truncations"), 2);
}

TEST(FakeProvider, RecorderKeepsWhatTheProviderReceived) {
  auto fake = StartFake({"--record", "2"});
  ASSERT_TRUE(fake);
  Call(*fake, "POST", "/v1/chat/completions", ChatBody("first"));
  const std::string body = ChatBody("second", R"("user": "u-1", "metadata": {"k": "v"})");
  Call(*fake, "POST", "/v1/chat/completions", body,
       {{"Authorization", "Bearer provider-cred"}, {"X-Request-Id", "abc-123"}});
  Call(*fake, "GET", "/v1/models");
  const json::value v = Json(Call(*fake, "GET", "/_fake/requests").body);
  const json::array& requests = v.at("requests").as_array();
  ASSERT_EQ(requests.size(), 2u);  // capacity 2: the oldest went; control paths not recorded
  const json::value& chat = requests[0];
  EXPECT_EQ(chat.at("method"), "POST");
  EXPECT_EQ(chat.at("path"), "/v1/chat/completions");
  EXPECT_EQ(chat.at("headers").at("authorization"), "Bearer provider-cred");
  EXPECT_EQ(chat.at("headers").at("x-request-id"), "abc-123");
  EXPECT_EQ(chat.at("body"), json::value(body.c_str()));
  EXPECT_EQ(requests[1].at("path"), "/v1/models");

  Call(*fake, "DELETE", "/_fake/requests");
  EXPECT_TRUE(Json(Call(*fake, "GET", "/_fake/requests").body).at("requests").as_array().empty());

  auto off = StartFake({"--record", "0"});
  ASSERT_TRUE(off);
  Call(*off, "POST", "/v1/chat/completions", ChatBody("x"));
  EXPECT_TRUE(Json(Call(*off, "GET", "/_fake/requests").body).at("requests").as_array().empty());
}

// The gateway must cancel upstream calls when its client leaves; the fake has to notice the
// close whether it is streaming, stalled, or holding back the first byte.
TEST(FakeProvider, ClientDisconnectsAreCounted) {
  auto fake = StartFake();
  ASSERT_TRUE(fake);
  struct Case {
    std::string name;
    std::string body;
    bool read_head;
  };
  const std::vector<Case> cases = {
      {"while streaming", ChatBody("x", R"("stream": true, "x_fake": {"completion_tokens": 200,
                                                   "chunk_interval_ms": 50})"),
       true},
      {"while stalled mid-stream",
       ChatBody("a b c", R"("stream": true, "x_fake": {"stall_after_chunks": 1})"), true},
      {"while stalled", ChatBody("x", R"("x_fake": {"stall": true})"), false},
      {"during the first-byte delay", ChatBody("x", R"("x_fake": {"first_byte_delay_ms": 20000})"),
       false},
  };
  int64_t expected = 0;
  for (const Case& test : cases) {
    SCOPED_TRACE(test.name);
    auto c = TestHttpConnection::Open(fake->address());
    ASSERT_TRUE(c.ok()) << c.status();
    const int64_t requests_before = Stat(*fake, "requests");
    ASSERT_TRUE((*c)->Send("POST", "/v1/chat/completions", test.body).ok());
    if (test.read_head) {
      ASSERT_TRUE((*c)->ReadHead().ok());
    } else {
      // +1: the stats call itself.
      ASSERT_TRUE(WaitForStat(*fake, "requests", requests_before + 2));
    }
    const absl::Time closed_at = absl::Now();
    (*c)->Close();
    ++expected;
    EXPECT_TRUE(WaitForStat(*fake, "client_disconnects", expected));
    EXPECT_LT(absl::Now() - closed_at, absl::Seconds(3));
  }
  EXPECT_TRUE(WaitForStat(*fake, "active_connections", 1));
  EXPECT_EQ(Stat(*fake, "active_connections"), 1);  // only the stats call's own connection
}

TEST(FakeProvider, SeveralThreadsShareOnePort) {
  auto fake = StartFake({"--threads", "3"});
  ASSERT_TRUE(fake);
  std::vector<std::unique_ptr<TestHttpConnection>> connections;
  for (int i = 0; i < 12; ++i) {
    auto c = TestHttpConnection::Open(fake->address());
    ASSERT_TRUE(c.ok()) << c.status();
    ASSERT_TRUE((*c)->Send("POST", "/v1/chat/completions", ChatBody("hi")).ok());
    connections.push_back(std::move(*c));
  }
  for (auto& c : connections) {
    auto r = c->ReadResponse();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_EQ(Stat(*fake, "chat_completions"), 12);
}

TEST(FakeProvider, SigtermExitsZero) {
  auto fake = StartFake({"--log-format", "json"});
  ASSERT_TRUE(fake);
  EXPECT_NE(fake->Log().find(R"("msg":"listening http on 127.0.0.1:)"), std::string::npos)
      << fake->Log();
  absl::StatusOr<int> code = fake->Stop();
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0);
}

class FakeProviderTls : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cert_dir_ = new std::string(
        (std::filesystem::temp_directory_path() / absl::StrCat("gw-fake-certs-", getpid()))
            .string());
    const std::string command =
        absl::StrCat(GW_SOURCE_DIR "/tests/fakes/make_test_certs.sh ", *cert_dir_);
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
  static void TearDownTestSuite() {
    std::error_code ignored;
    std::filesystem::remove_all(*cert_dir_, ignored);
    delete cert_dir_;
  }
  static std::string Cert(const std::string& name) { return *cert_dir_ + "/" + name; }
  static std::string* cert_dir_;
};
std::string* FakeProviderTls::cert_dir_ = nullptr;

TEST_F(FakeProviderTls, VerifiesFor127001WithTheTestCA) {
  auto fake = StartFake({"--tls-cert", Cert("server.pem"), "--tls-key", Cert("server.key")});
  ASSERT_TRUE(fake);
  EXPECT_EQ(fake->base_url().substr(0, 8), "https://");
  const TestTlsOptions tls{Cert("ca.pem"), "127.0.0.1"};
  auto r = TestHttpCall(fake->address(), "POST", "/v1/chat/completions",
                        ChatBody("over tls", R"("stream": true)"), {}, &tls);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_FALSE(r->end) << r->end.message();
  EXPECT_EQ(SseData(r->body).back(), "[DONE]");

  // The disconnect watch works over TLS too.
  auto c = TestHttpConnection::Open(fake->address(), &tls);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE((*c)->Send("POST", "/v1/chat/completions",
                         ChatBody("x", R"("stream": true, "x_fake": {"stall_after_chunks": 1})"))
                  .ok());
  ASSERT_TRUE((*c)->ReadHead().ok());
  (*c)->Close();
  EXPECT_TRUE(WaitForStat(*fake, "client_disconnects", 1, &tls));
}

TEST_F(FakeProviderTls, WrongHostCertificateFailsHostNameVerification) {
  auto fake =
      StartFake({"--tls-cert", Cert("wrong-host.pem"), "--tls-key", Cert("wrong-host.key")});
  ASSERT_TRUE(fake);
  const TestTlsOptions tls{Cert("ca.pem"), "127.0.0.1"};
  auto c = TestHttpConnection::Open(fake->address(), &tls);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("certificate verify failed"), std::string::npos)
      << c.status();
  // The same certificate verifies for the name it was issued to: only the host name failed.
  const TestTlsOptions right_name{Cert("ca.pem"), "wrong-host.invalid"};
  EXPECT_TRUE(TestHttpConnection::Open(fake->address(), &right_name).ok());
}

}  // namespace
}  // namespace gw::testing
