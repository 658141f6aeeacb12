#include "data_plane/providers/openai/openai_response.h"

#include <string>
#include <vector>

#include "data_plane/providers/sse_parser.h"
#include "gtest/gtest.h"

namespace gw::dp {
namespace {

TEST(OpenAiUsageTest, FromChatCompletionBody) {
  const TokenUsage usage = ExtractOpenAiUsage(
      R"({"id":"x","choices":[{"message":{"content":"usage: not this"}}],"usage":{)"
      R"("prompt_tokens":1200,"completion_tokens":34,"total_tokens":1234,)"
      R"("prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":0},)"
      R"("completion_tokens_details":{"reasoning_tokens":0}}})");
  EXPECT_TRUE(usage.reported);
  EXPECT_EQ(usage.prompt_tokens, 1200);
  EXPECT_EQ(usage.completion_tokens, 34);
  EXPECT_EQ(usage.total_tokens, 1234);
  EXPECT_EQ(usage.cached_prompt_tokens, 1024);
}

TEST(OpenAiUsageTest, FromEmbeddingsBody) {
  const TokenUsage usage = ExtractOpenAiUsage(
      R"({"object":"list","data":[{"embedding":[0.1,-2e-3]}],"usage":{"prompt_tokens":8,)"
      R"("total_tokens":8}})");
  EXPECT_TRUE(usage.reported);
  EXPECT_EQ(usage.prompt_tokens, 8);
  EXPECT_EQ(usage.completion_tokens, 0);
  EXPECT_EQ(usage.cached_prompt_tokens, 0);
}

TEST(OpenAiUsageTest, MissingOrNullUsageIsNotReported) {
  EXPECT_FALSE(ExtractOpenAiUsage(R"({"choices":[]})").reported);
  EXPECT_FALSE(ExtractOpenAiUsage(R"({"usage":null})").reported);
  EXPECT_FALSE(ExtractOpenAiUsage("not json").reported);
}

const char* const kContentChunk =
    R"({"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"}}],"usage":null})";
const char* const kUsageChunk =
    R"({"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11,"prompt_tokens_details":{"cached_tokens":0}}})";

TEST(OpenAiStreamFilterTest, HidesUsageChunkFromClientsThatDidNotAsk) {
  OpenAiStreamFilter filter(/*client_wants_usage=*/false);
  EXPECT_EQ(filter.OnEvent(kContentChunk), StreamAction::kForward);
  EXPECT_EQ(filter.OnEvent(kUsageChunk), StreamAction::kDrop);
  EXPECT_EQ(filter.OnEvent("[DONE]"), StreamAction::kForward);
  EXPECT_TRUE(filter.saw_done());
  EXPECT_TRUE(filter.usage().reported);
  EXPECT_EQ(filter.usage().prompt_tokens, 9);
  EXPECT_EQ(filter.usage().completion_tokens, 2);
}

TEST(OpenAiStreamFilterTest, KeepsUsageChunkForClientsThatAsked) {
  OpenAiStreamFilter filter(/*client_wants_usage=*/true);
  EXPECT_EQ(filter.OnEvent(kContentChunk), StreamAction::kForward);
  EXPECT_EQ(filter.OnEvent(kUsageChunk), StreamAction::kForward);
  EXPECT_EQ(filter.usage().total_tokens, 11);
}

TEST(OpenAiStreamFilterTest, UsageInAContentChunkIsMeteredAndForwarded) {
  // Some OpenAI-compatible servers put usage on the last content chunk.
  OpenAiStreamFilter filter(/*client_wants_usage=*/false);
  EXPECT_EQ(
      filter.OnEvent(
          R"({"choices":[{"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":4}})"),
      StreamAction::kForward);
  EXPECT_EQ(filter.usage().completion_tokens, 4);
}

TEST(OpenAiStreamFilterTest, UsageObjectAfterWhitespaceIsMetered) {
  // Pretty-printed by some OpenAI-compatible servers.
  OpenAiStreamFilter filter(/*client_wants_usage=*/false);
  EXPECT_EQ(filter.OnEvent(R"({"choices": [], "usage" :
    {"prompt_tokens": 5, "completion_tokens": 6}})"),
            StreamAction::kDrop);
  EXPECT_EQ(filter.usage().completion_tokens, 6);
}

TEST(OpenAiStreamFilterTest, TheWordUsageInTheAnswerIsNotUsage) {
  OpenAiStreamFilter filter(/*client_wants_usage=*/false);
  EXPECT_EQ(
      filter.OnEvent(
          R"({"choices":[{"delta":{"content":"the \"usage\": {} field and \"error\": x"}}],"usage":null})"),
      StreamAction::kForward);
  EXPECT_FALSE(filter.usage().reported);
  EXPECT_FALSE(filter.saw_error());
}

TEST(OpenAiStreamFilterTest, ChoicesWithoutUsageAreForwarded) {
  // Azure's first chunk: empty choices, prompt filter results, no usage.
  OpenAiStreamFilter filter(/*client_wants_usage=*/false);
  EXPECT_EQ(filter.OnEvent(R"({"choices":[],"prompt_filter_results":[]})"), StreamAction::kForward);
  EXPECT_FALSE(filter.usage().reported);
}

TEST(OpenAiStreamFilterTest, ErrorEventIsForwardedAndNoticed) {
  OpenAiStreamFilter filter(/*client_wants_usage=*/false);
  EXPECT_EQ(filter.OnEvent(R"({"error":{"message":"overloaded","type":"server_error"}})"),
            StreamAction::kForward);
  EXPECT_TRUE(filter.saw_error());
  EXPECT_FALSE(filter.saw_done());
}

TEST(OpenAiStreamFilterTest, EndToEndOverSseSplitAnywhere) {
  const std::string stream =
      std::string("data: ") + kContentChunk + "\n\ndata: " + kUsageChunk + "\n\ndata: [DONE]\n\n";
  const std::string expected = std::string("data: ") + kContentChunk + "\n\ndata: [DONE]\n\n";
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    SseParser sse;
    OpenAiStreamFilter filter(/*client_wants_usage=*/false);
    std::string forwarded;
    for (const std::string& chunk : {stream.substr(0, cut), stream.substr(cut)}) {
      sse.Feed(chunk);
      SseEvent event;
      while (sse.Next(event)) {
        if (filter.OnEvent(event.data) == StreamAction::kForward) {
          AppendSseData(event.data, forwarded);
        }
      }
    }
    EXPECT_EQ(forwarded, expected) << cut;
    EXPECT_EQ(filter.usage().prompt_tokens, 9) << cut;
    EXPECT_TRUE(filter.saw_done());
  }
}

}  // namespace
}  // namespace gw::dp
