#include "data_plane/providers/text_search.h"

#include <string>

#include "gtest/gtest.h"

namespace gw::dp {
namespace {

constexpr size_t kNpos = absl::string_view::npos;

TEST(FindTextTest, AgreesWithStringViewFindOnJsonFullOfQuotes) {
  const std::string chunk =
      R"({"id":"c1","choices":[{"delta":{"content":"say \"usage\""}}],"usage":null,)"
      R"("x":{"usage":{"prompt_tokens":1}}})";
  const absl::string_view text(chunk);
  for (const absl::string_view needle : {"\"usage\"", "\"content\"", "\"error\"", "\"", "}}}"}) {
    for (size_t from = 0; from <= text.size() + 1; ++from) {
      EXPECT_EQ(FindText(text, needle, from), text.find(needle, from))
          << "needle " << needle << " from " << from;
    }
  }
}

TEST(FindTextTest, EdgesOfTheText) {
  EXPECT_EQ(FindText("usage", "usage"), 0u);
  EXPECT_EQ(FindText("x usage", "usage"), 2u);
  EXPECT_EQ(FindText("usag", "usage"), kNpos);  // Needle longer than the text.
  EXPECT_EQ(FindText("", "usage"), kNpos);
  EXPECT_EQ(FindText(absl::string_view(), "a"), kNpos);
  EXPECT_EQ(FindText("abc", "", 1), 1u);  // An empty needle is found where the search starts.
  EXPECT_EQ(FindText("abc", "c", 3), kNpos);
  EXPECT_EQ(FindText("abc", "c", 4), kNpos);  // A start past the end finds nothing.
}

}  // namespace
}  // namespace gw::dp
