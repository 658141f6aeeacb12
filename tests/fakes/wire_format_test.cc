// The fake's bodies must parse as OpenAI's do; these check the JSON itself, without sockets.
#include <string>

#include "boost/json/parse.hpp"
#include "gtest/gtest.h"
#include "tests/fakes/api_error.h"
#include "tests/fakes/chat_plan.h"
#include "tests/fakes/json_text.h"
#include "tests/fakes/openai_wire.h"

namespace gw::testing {
namespace {

namespace json = boost::json;

TEST(AppendJsonString, EscapesWhatJsonRequires) {
  std::string out;
  AppendJsonString(out, std::string("a\"b\\c\nd\te\x01 é", 14));
  EXPECT_EQ(json::parse(out).as_string(), std::string("a\"b\\c\nd\te\x01 é", 14));
}

TEST(AppendJsonString, RoundTripsLongTextWithEscapesAnywhere) {
  for (size_t length : {15u, 16u, 17u, 31u, 33u, 100u}) {
    for (size_t at = 0; at < length; ++at) {
      for (char special : {'"', '\\', '\n', '\x01', '\x1f'}) {
        std::string text(length, 'a');
        text[at] = special;
        if (at + 1 < length) text[at + 1] = '\xc3';  // non-ASCII bytes must pass through
        std::string out;
        AppendJsonString(out, text);
        boost::system::error_code ec;
        const json::value parsed = json::parse(out, ec, {}, {.allow_invalid_utf8 = true});
        ASSERT_FALSE(ec) << out;
        ASSERT_EQ(parsed.as_string(), text) << "length " << length << " at " << at;
      }
    }
  }
}

ChatRequest Read(const json::value& body) {
  ChatRequest r;
  const std::optional<ApiError> error = ReadChatRequest(body.as_object(), r);
  EXPECT_FALSE(error.has_value()) << (error ? error->message : "");
  return r;
}

TEST(PlanChat, EchoesTheLastUserMessageAndCountsWords) {
  const json::value body = json::parse(R"({"model": "m", "messages": [
      {"role": "system", "content": "be brief"},
      {"role": "user", "content": "first question"},
      {"role": "assistant", "content": "an answer"},
      {"role": "user", "content": [{"type": "text", "text": "second"},
                                   {"type": "text", "text": "question here"}]}]})");
  const ChatRequest request = Read(body);
  EXPECT_EQ(request.prompt_tokens, 2 + 2 + 2 + 3);
  const ChatPlan plan = PlanChat(request, Behaviour());
  EXPECT_EQ(plan.content, "second\nquestion here");
  EXPECT_EQ(plan.completion_tokens, 3);
  EXPECT_EQ(plan.finish_reason, "stop");
}

TEST(PlanChat, MaxTokensTruncatesWithFinishReasonLength) {
  const json::value body = json::parse(
      R"({"model": "m", "max_tokens": 50, "max_completion_tokens": 2,
          "messages": [{"role": "user", "content": "one two three"}]})");
  const ChatPlan plan = PlanChat(Read(body), Behaviour());
  EXPECT_EQ(plan.content, "one two");
  EXPECT_EQ(plan.completion_tokens, 2);
  EXPECT_EQ(plan.finish_reason, "length");
}

TEST(PlanChat, GeneratedAndFixedContent) {
  const json::value body =
      json::parse(R"({"model": "m", "messages": [{"role": "user", "content": "x"}]})");
  Behaviour b;
  b.completion_tokens = 250;
  b.cached_tokens = 9;
  ChatPlan plan = PlanChat(Read(body), b);
  EXPECT_EQ(plan.completion_tokens, 250);
  EXPECT_EQ(plan.cached_tokens, 1);  // capped at prompt_tokens
  b.content = "fixed text";
  plan = PlanChat(Read(body), b);
  EXPECT_EQ(plan.content, "fixed text");
}

TEST(ReadChatRequest, RejectsWhatOpenAIRejects) {
  ChatRequest r;
  auto error = ReadChatRequest(json::parse(R"({"messages": []})").as_object(), r);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->status, 400);
  error = ReadChatRequest(json::parse(R"({"model": "m"})").as_object(), r);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->param, "messages");
  error =
      ReadChatRequest(json::parse(R"({"model": "m", "messages": [{"role": "user", "content": "a"}],
                      "stream_options": {"include_usage": true}})")
                          .as_object(),
                      r);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->param, "stream_options");
}

TEST(ChatCompletion, HasOpenAIsShape) {
  ChatPlan plan;
  plan.content = "hi \"you\"";
  plan.finish_reason = "stop";
  plan.prompt_tokens = 4;
  plan.completion_tokens = 2;
  plan.cached_tokens = 1;
  std::string out;
  AppendChatCompletion(out, NewCompletionId(), 1700000000, "gpt-x", plan);
  const json::object v = json::parse(out).as_object();
  EXPECT_EQ(v.at("object"), "chat.completion");
  EXPECT_EQ(v.at("id").as_string().subview().substr(0, 9), "chatcmpl-");
  EXPECT_EQ(v.at("model"), "gpt-x");
  EXPECT_EQ(v.at("created"), 1700000000);
  const json::object& choice = v.at("choices").as_array().at(0).as_object();
  EXPECT_EQ(choice.at("message").at("role"), "assistant");
  EXPECT_EQ(choice.at("message").at("content"), "hi \"you\"");
  EXPECT_EQ(choice.at("finish_reason"), "stop");
  const json::object& usage = v.at("usage").as_object();
  EXPECT_EQ(usage.at("prompt_tokens"), 4);
  EXPECT_EQ(usage.at("completion_tokens"), 2);
  EXPECT_EQ(usage.at("total_tokens"), 6);
  EXPECT_EQ(usage.at("prompt_tokens_details").at("cached_tokens"), 1);
  EXPECT_TRUE(v.at("system_fingerprint").is_string());
}

TEST(ChatStream, EventsCarryRoleContentFinishUsageThenDone) {
  ChatPlan plan;
  plan.content = "a b c";
  plan.finish_reason = "stop";
  plan.prompt_tokens = 1;
  plan.completion_tokens = 3;
  ChatStream stream("chatcmpl-x", 1, "m", plan, /*include_usage=*/true, /*chunks=*/0);
  ASSERT_EQ(stream.event_count(), 7u);  // role, 3 content, finish, usage, [DONE]
  std::string out;
  for (size_t i = 0; i < stream.event_count(); ++i) stream.AppendEvent(i, out);
  std::vector<json::value> chunks;
  size_t pos = 0;
  std::string last;
  while ((pos = out.find("data: ", pos)) != std::string::npos) {
    const size_t end = out.find("\n\n", pos);
    last = out.substr(pos + 6, end - pos - 6);
    if (last != "[DONE]") chunks.push_back(json::parse(last));
    pos = end;
  }
  EXPECT_EQ(last, "[DONE]");
  ASSERT_EQ(chunks.size(), 6u);
  EXPECT_EQ(chunks[0].at("choices").at(0).at("delta").at("role"), "assistant");
  std::string content;
  for (size_t i = 1; i <= 3; ++i) {
    content += chunks[i].at("choices").at(0).at("delta").at("content").as_string();
    EXPECT_TRUE(chunks[i].at("usage").is_null());
  }
  EXPECT_EQ(content, "a b c");
  EXPECT_EQ(chunks[4].at("choices").at(0).at("finish_reason"), "stop");
  EXPECT_TRUE(chunks[5].at("choices").as_array().empty());
  EXPECT_EQ(chunks[5].at("usage").at("total_tokens"), 4);
}

TEST(Embeddings, DeterministicUnitVectorsInFloatOrBase64) {
  const std::vector<float> a = EmbeddingVector("hello", 8);
  EXPECT_EQ(a, EmbeddingVector("hello", 8));
  EXPECT_NE(a, EmbeddingVector("hello!", 8));
  double norm = 0;
  for (float x : a) norm += double{x} * x;
  EXPECT_NEAR(norm, 1.0, 1e-5);

  std::string out;
  AppendEmbeddings(out, "e", {{"hello", 1}, {"a b", 2}}, 8, /*base64=*/false);
  const json::object v = json::parse(out).as_object();
  EXPECT_EQ(v.at("object"), "list");
  EXPECT_EQ(v.at("data").as_array().size(), 2u);
  EXPECT_EQ(v.at("data").at(1).at("index"), 1);
  EXPECT_EQ(v.at("data").at(0).at("embedding").as_array().size(), 8u);
  EXPECT_FLOAT_EQ(static_cast<float>(v.at("data").at(0).at("embedding").at(0).to_number<double>()),
                  a[0]);
  EXPECT_EQ(v.at("usage").at("prompt_tokens"), 3);

  out.clear();
  AppendEmbeddings(out, "e", {{"hello", 1}}, 8, /*base64=*/true);
  const std::string b64(json::parse(out).at("data").at(0).at("embedding").as_string());
  EXPECT_EQ(b64.size(), 44u);  // 32 bytes
}

TEST(ApiErrorJson, HasTheFourFields) {
  std::string out;
  AppendApiErrorJson(out, DefaultApiError(429));
  const json::object e = json::parse(out).at("error").as_object();
  EXPECT_EQ(e.at("type"), "requests");
  EXPECT_EQ(e.at("code"), "rate_limit_exceeded");
  EXPECT_TRUE(e.at("param").is_null());
  EXPECT_TRUE(e.at("message").is_string());
}

}  // namespace
}  // namespace gw::testing
