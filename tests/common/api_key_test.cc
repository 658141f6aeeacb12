// Gateway keys and ids: shape, uniqueness, digests and comparison.
#include "common/api_key.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/integration/harness/status_testing.h"

namespace gw {
namespace {

TEST(ApiKeyTest, KeyShapePrefixAndDigest) {
  absl::StatusOr<GeneratedKey> key = GenerateApiKey();
  GW_ASSERT_OK(key);
  EXPECT_TRUE(absl::StartsWith(key->plaintext, "gwk-")) << key->plaintext;
  EXPECT_EQ(key->plaintext.size(), 4u + 43u);
  for (char c : key->plaintext.substr(4)) EXPECT_TRUE(absl::ascii_isalnum(c)) << key->plaintext;
  EXPECT_EQ(key->prefix.size(), 12u);
  EXPECT_EQ(key->prefix, key->plaintext.substr(0, 12));
  EXPECT_EQ(key->sha256.size(), 32u);
  EXPECT_EQ(key->sha256, Sha256(key->plaintext));
}

TEST(ApiKeyTest, KeysAndPrefixesAreUnique) {
  absl::flat_hash_set<std::string> keys, prefixes, digests;
  for (int i = 0; i < 2000; ++i) {
    absl::StatusOr<GeneratedKey> key = GenerateApiKey();
    GW_ASSERT_OK(key);
    EXPECT_TRUE(keys.insert(key->plaintext).second);
    EXPECT_TRUE(prefixes.insert(key->prefix).second);
    EXPECT_TRUE(digests.insert(key->sha256).second);
  }
}

TEST(ApiKeyTest, KeyCharactersCoverTheWholeAlphabet) {
  // 43 characters from a 62-letter alphabet: after many keys every letter must have shown up.
  absl::flat_hash_set<char> seen;
  for (int i = 0; i < 200; ++i) {
    absl::StatusOr<GeneratedKey> key = GenerateApiKey();
    GW_ASSERT_OK(key);
    for (char c : key->plaintext.substr(4)) seen.insert(c);
  }
  EXPECT_EQ(seen.size(), 62u);
}

TEST(GenerateIdTest, PrefixAndSixteenBase32Characters) {
  absl::flat_hash_set<std::string> ids;
  for (int i = 0; i < 2000; ++i) {
    absl::StatusOr<std::string> id = GenerateId("key_");
    GW_ASSERT_OK(id);
    ASSERT_TRUE(absl::StartsWith(*id, "key_")) << *id;
    ASSERT_EQ(id->size(), 4u + 16u) << *id;
    for (char c : id->substr(4)) {
      EXPECT_TRUE(absl::ascii_isdigit(c) || absl::ascii_islower(c)) << *id;
      EXPECT_FALSE(c == 'i' || c == 'l' || c == 'o' || c == 'u') << *id;
    }
    EXPECT_TRUE(ids.insert(*id).second);
  }
}

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(HexEncode(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexEncode(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(HexEncodeTest, LowerCaseTwoDigitsPerByte) {
  EXPECT_EQ(HexEncode(std::string("\x00\x0f\xa0\xff", 4)), "000fa0ff");
  EXPECT_EQ(HexEncode(""), "");
}

TEST(ConstantTimeEqualsTest, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("gwk-abc", "gwk-abc"));
  EXPECT_FALSE(ConstantTimeEquals("gwk-abc", "gwk-abd"));
  EXPECT_FALSE(ConstantTimeEquals("gwk-abc", "gwk-ab"));
  EXPECT_FALSE(ConstantTimeEquals("", "x"));
  EXPECT_TRUE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

}  // namespace
}  // namespace gw
