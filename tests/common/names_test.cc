// Resource names per CONTRACTS.md: 1-64 characters of [A-Za-z0-9._-], starting with a letter or
// digit, case-sensitive.
#include "common/names.h"

#include <initializer_list>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace gw {
namespace {

TEST(NamesTest, AcceptsTheContractAlphabet) {
  for (absl::string_view name : {"a", "Z", "7", "gpt-4o", "claude-3.5-sonnet", "team_one",
                                 "A.b-C_d", "9lives", "x..", "a--"}) {
    EXPECT_TRUE(IsValidName(name)) << name;
    EXPECT_TRUE(ValidateName("model", name).ok()) << name;
  }
}

TEST(NamesTest, LengthBoundaryIs64) {
  EXPECT_TRUE(IsValidName(std::string(64, 'a')));
  EXPECT_FALSE(IsValidName(std::string(65, 'a')));
}

TEST(NamesTest, MustStartWithALetterOrDigit) {
  for (absl::string_view name : {"-team", ".team", "_team"})
    EXPECT_FALSE(IsValidName(name)) << name;
}

TEST(NamesTest, RejectsOtherCharacters) {
  for (absl::string_view name : std::initializer_list<absl::string_view>{
           "", "a b", "a/b", "a:b", "a@b", "a+b", "tëam", "团队", "a\nb", "a\tb",
           absl::string_view("a\0b", 3), "a*", "a\"b"}) {
    EXPECT_FALSE(IsValidName(name)) << name;
  }
}

TEST(NamesTest, ErrorNamesTheKindOfResource) {
  absl::Status empty = ValidateName("team", "");
  EXPECT_EQ(empty.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(empty.message(), "team")) << empty;

  absl::Status bad = ValidateName("provider", "-openai");
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(bad.message(), "provider")) << bad;
  EXPECT_TRUE(absl::StrContains(bad.message(), "-openai")) << bad;
}

TEST(NamesTest, ErrorDoesNotEchoAHugeName) {
  absl::Status bad = ValidateName("model", std::string(10000, '!'));
  EXPECT_LT(bad.message().size(), 400u);
}

}  // namespace
}  // namespace gw
