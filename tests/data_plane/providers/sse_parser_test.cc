#include "data_plane/providers/sse_parser.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace gw::dp {
namespace {

struct Seen {
  std::string type;
  std::string data;
  bool operator==(const Seen&) const = default;
};

std::vector<Seen> FeedAll(SseParser& parser, const std::vector<std::string>& chunks) {
  std::vector<Seen> seen;
  for (const std::string& chunk : chunks) {
    parser.Feed(chunk);
    SseEvent event;
    while (parser.Next(event)) {
      seen.push_back({std::string(event.type), std::string(event.data)});
    }
  }
  return seen;
}

// An OpenAI-like stream with every feature of the format mixed in.
const std::string kStream =
    ": keep-alive comment\n"
    "data: {\"id\":\"1\",\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n"
    "data: {\"id\":\"2\",\r\n"
    "data: \"more\":true}\r\n\r\n"
    "event: message_delta\r"
    "data:no-space\r\r"
    "id: 7\nretry: 100\n\n"  // No data: no event.
    "data\n\n"               // A field without colon: data with an empty value.
    "data: [DONE]\n\n";

const std::vector<Seen> kExpected = {
    {"", R"({"id":"1","choices":[{"delta":{"content":"Hel"}}]})"},
    {"", "{\"id\":\"2\",\n\"more\":true}"},
    {"message_delta", "no-space"},
    {"", ""},
    {"", "[DONE]"},
};

TEST(SseParserTest, WholeStreamInOneChunk) {
  SseParser parser;
  EXPECT_EQ(FeedAll(parser, {kStream}), kExpected);
  EXPECT_FALSE(parser.has_partial_event());
}

TEST(SseParserTest, SplitAtEveryByteBoundaryGivesTheSameEvents) {
  for (size_t cut = 0; cut <= kStream.size(); ++cut) {
    SseParser parser;
    EXPECT_EQ(FeedAll(parser, {kStream.substr(0, cut), kStream.substr(cut)}), kExpected)
        << "cut at " << cut;
  }
}

TEST(SseParserTest, SplitAtEveryTwoBoundariesGivesTheSameEvents) {
  for (size_t a = 0; a <= kStream.size(); a += 3) {
    for (size_t b = a; b <= kStream.size(); ++b) {
      SseParser parser;
      EXPECT_EQ(
          FeedAll(parser, {kStream.substr(0, a), kStream.substr(a, b - a), kStream.substr(b)}),
          kExpected)
          << a << " " << b;
    }
  }
}

TEST(SseParserTest, OneByteAtATime) {
  std::vector<std::string> bytes;
  for (const char c : kStream) bytes.emplace_back(1, c);
  SseParser parser;
  EXPECT_EQ(FeedAll(parser, bytes), kExpected);
}

TEST(SseParserTest, EventIsAvailableAsSoonAsItsBlankLineArrives) {
  SseParser parser;
  parser.Feed("data: a\n");
  SseEvent event;
  EXPECT_FALSE(parser.Next(event));
  EXPECT_TRUE(parser.has_partial_event());
  parser.Feed("\ndata: b");
  ASSERT_TRUE(parser.Next(event));
  EXPECT_EQ(event.data, "a");
  EXPECT_FALSE(parser.Next(event));
  EXPECT_TRUE(parser.has_partial_event());  // A stream that ends here was cut short.
}

TEST(SseParserTest, OversizedEventStopsTheParser) {
  SseParser parser(/*max_event_bytes=*/16);
  parser.Feed("data: 0123456789abcdefghij\n\n");
  SseEvent event;
  EXPECT_FALSE(parser.Next(event));
  EXPECT_TRUE(parser.overflowed());
}

TEST(SseParserTest, AppendSseDataPrefixesEveryLine) {
  std::string out;
  AppendSseData("{\"a\":1}", out);
  AppendSseData("x\ny", out);
  EXPECT_EQ(out, "data: {\"a\":1}\n\ndata: x\ndata: y\n\n");
}

}  // namespace
}  // namespace gw::dp
