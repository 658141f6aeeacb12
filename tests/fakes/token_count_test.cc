#include "tests/fakes/token_count.h"

#include <string>

#include "gtest/gtest.h"

namespace gw::testing {
namespace {

TEST(CountTokens, CountsWhitespaceSeparatedWords) {
  EXPECT_EQ(CountTokens(""), 0);
  EXPECT_EQ(CountTokens("   \n\t"), 0);
  EXPECT_EQ(CountTokens("hello"), 1);
  EXPECT_EQ(CountTokens("  Say hi\n\ttwice!  "), 3);
  EXPECT_EQ(CountTokens("naïve café"), 2);
}

// The vectorised count must agree with the plain definition at every alignment.
TEST(CountTokens, MatchesAByteByByteCountOnLongMixedText) {
  const std::string alphabet = std::string("ab \t\n\r\f\vxyz\x80\xff \x08\x0e", 18);
  uint64_t state = 12345;
  for (int round = 0; round < 200; ++round) {
    std::string text;
    const int length = round * 3;
    for (int i = 0; i < length; ++i) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      text.push_back(alphabet[(state >> 33) % alphabet.size()]);
    }
    int64_t expected = 0;
    bool previous_space = true;
    for (char c : text) {
      const bool space = c == ' ' || (c >= '\t' && c <= '\r');
      if (previous_space && !space) ++expected;
      previous_space = space;
    }
    ASSERT_EQ(CountTokens(text), expected) << "round " << round;
  }
}

TEST(TruncateToTokens, KeepsTheFirstWordsAndDropsTrailingSpace) {
  EXPECT_EQ(TruncateToTokens("one two  three four", 2), "one two");
  EXPECT_EQ(TruncateToTokens("one two", 2), "one two");
  EXPECT_EQ(TruncateToTokens("one two ", 5), "one two ");
  EXPECT_EQ(TruncateToTokens("one two", 0), "");
}

std::string Join(const std::vector<std::string_view>& pieces) {
  std::string out;
  for (std::string_view p : pieces) out.append(p);
  return out;
}

TEST(SplitIntoPieces, OnePiecePerWordByDefault) {
  const std::string text = "Hello there, world";
  const auto pieces = SplitIntoPieces(text, 0);
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces[0], "Hello");
  EXPECT_EQ(pieces[1], " there,");
  EXPECT_EQ(pieces[2], " world");
  EXPECT_TRUE(SplitIntoPieces("", 0).empty());
}

TEST(SplitIntoPieces, SpreadsWordsEvenlyAndPadsWithEmptyPieces) {
  const std::string text = "a b c d e";
  const auto two = SplitIntoPieces(text, 2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0], "a b c");
  EXPECT_EQ(two[1], " d e");
  const auto seven = SplitIntoPieces(text, 7);
  ASSERT_EQ(seven.size(), 7u);
  EXPECT_EQ(Join(seven), text);
  EXPECT_EQ(seven[5], "");
  EXPECT_EQ(seven[6], "");
  EXPECT_EQ(Join(SplitIntoPieces(" lead and trail  ", 2)), " lead and trail  ");
}

}  // namespace
}  // namespace gw::testing
