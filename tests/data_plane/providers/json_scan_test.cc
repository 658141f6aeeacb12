#include "data_plane/providers/json_scan.h"

#include <string>
#include <vector>

#include "boost/json/parse.hpp"
#include "common/json_text.h"
#include "gtest/gtest.h"

namespace gw::dp {
namespace {

TEST(JsonScanTest, FindsTopLevelMembersAndTheirValues) {
  const std::string text =
      R"( { "model" : "gpt-4o", "temperature":0.7, "n":1e-3, "messages":[{"role":"user",)"
      R"("content":"a \"quoted\" }{ ] text"}], "nested":{"model":"inner"}, "ok":true,)"
      R"( "none":null, "f":false } )";
  JsonObjectScan scan;
  ASSERT_TRUE(ScanJsonObject(text, scan).ok());
  ASSERT_EQ(scan.members.size(), 8u);
  EXPECT_EQ(scan.Find("model")->value(text), R"("gpt-4o")");
  EXPECT_EQ(scan.Find("model")->type, JsonType::kString);
  EXPECT_EQ(scan.Find("temperature")->value(text), "0.7");
  EXPECT_EQ(scan.Find("temperature")->type, JsonType::kNumber);
  EXPECT_EQ(scan.Find("n")->value(text), "1e-3");
  EXPECT_EQ(scan.Find("messages")->type, JsonType::kArray);
  EXPECT_EQ(scan.Find("nested")->value(text), R"({"model":"inner"})");
  EXPECT_EQ(scan.Find("ok")->type, JsonType::kTrue);
  EXPECT_EQ(scan.Find("none")->type, JsonType::kNull);
  EXPECT_EQ(scan.Find("f")->type, JsonType::kFalse);
  EXPECT_EQ(scan.Find("absent"), nullptr);
  EXPECT_EQ(text[scan.open_brace], '{');
  EXPECT_EQ(text[scan.close_brace], '}');
  EXPECT_EQ(scan.close_brace, text.size() - 2);
}

TEST(JsonScanTest, EscapedKeysMatchTheirDecodedName) {
  const std::string text = R"({"mod\u0065l":"x","a\"b":1})";
  JsonObjectScan scan;
  ASSERT_TRUE(ScanJsonObject(text, scan).ok());
  ASSERT_NE(scan.Find("model"), nullptr);
  EXPECT_EQ(scan.Find("model")->value(text), R"("x")");
  ASSERT_NE(scan.Find("a\"b"), nullptr);
}

TEST(JsonScanTest, LastDuplicateWins) {
  const std::string text = R"({"model":"a","model":"b"})";
  JsonObjectScan scan;
  ASSERT_TRUE(ScanJsonObject(text, scan).ok());
  EXPECT_EQ(scan.Find("model")->value(text), R"("b")");
}

TEST(JsonScanTest, EmptyObject) {
  JsonObjectScan scan;
  ASSERT_TRUE(ScanJsonObject(" {} ", scan).ok());
  EXPECT_TRUE(scan.members.empty());
}

// The scanner must agree with a real JSON parser on what is valid.
TEST(JsonScanTest, AgreesWithBoostJsonOnTrickyInputs) {
  const std::vector<std::string> inputs = {
      R"({})",
      R"({"a":1})",
      R"({"a":-0})",
      R"({"a":-0.0e+5})",
      R"({"a":01})",
      R"({"a":1.})",
      R"({"a":.5})",
      R"({"a":+1})",
      R"({"a":1e})",
      R"({"a":"\u00e9\ud83d\ude00"})",
      R"({"a":"\x"})",
      R"({"a":"\u12"})",
      "{\"a\":\"tab\there\"}",
      R"({"a":[1,2,]})",
      R"({"a":[1 2]})",
      R"({"a":{"b":}})",
      R"({"a":1,})",
      R"({,"a":1})",
      R"({"a" 1})",
      R"({"a":1}})",
      R"({"a":1} x)",
      R"([1,2])",
      R"("str")",
      R"(1)",
      R"()",
      R"({"a":tru})",
      R"({"a":nul})",
      R"({"a":true})",
      R"({"a":[[[[[]]]]]})",
      R"({"a":"é"})",
      "{\"a\":\"\xc3\x28\"}",
      "{\"a\":\"\xed\xa0\x80\"}",
      "{\"a\":\"\xf0\x9f\x98\x80\"}",
      "{\"a\":\"\xc0\xaf\"}",
      R"({"a":{"b":[{"c":null}]},"d":"}"})",
      R"({"a":"\/"})",
      "{\"a\"\n:\r\n1\t}",
      R"({"a":"unterminated})",
      R"({"a":1)",
  };
  for (const std::string& input : inputs) {
    boost::system::error_code error;
    boost::json::parse(input, error);
    JsonObjectScan scan;
    const bool boost_ok_object = !error && !input.empty() && input.find('{') == 0;
    EXPECT_EQ(ScanJsonObject(input, scan).ok(), boost_ok_object) << input;
  }
}

TEST(JsonScanTest, RefusesDeepNesting) {
  std::string deep = R"({"a":)";
  for (int i = 0; i < 1000; ++i) deep += "[";
  for (int i = 0; i < 1000; ++i) deep += "]";
  deep += "}";
  JsonObjectScan scan;
  EXPECT_FALSE(ScanJsonObject(deep, scan).ok());
}

TEST(JsonScanTest, EveryTruncationIsRefused) {
  const std::string text = R"({"model":"m","messages":[{"role":"user","content":"hi"}],"t":0.5})";
  for (size_t cut = 0; cut < text.size(); ++cut) {
    JsonObjectScan scan;
    EXPECT_FALSE(ScanJsonObject(text.substr(0, cut), scan).ok()) << cut;
  }
}

TEST(JsonScanTest, IntegersAndStrings) {
  EXPECT_EQ(JsonInteger("42"), 42);
  EXPECT_EQ(JsonInteger("-7"), -7);
  EXPECT_EQ(JsonInteger("1.5"), std::nullopt);
  EXPECT_EQ(JsonInteger("99999999999999999999"), std::nullopt);
  EXPECT_EQ(JsonStringValue(R"("a\nb\u00e9")"), std::string("a\nb\xc3\xa9"));
  EXPECT_EQ(JsonStringValue(R"("\ud83d\ude00")"), std::string("\xf0\x9f\x98\x80"));
  std::string quoted;
  AppendJsonQuoted("a\"b\\c\n\x01", quoted);
  EXPECT_EQ(quoted, R"("a\"b\\c\n\u0001")");
}

}  // namespace
}  // namespace gw::dp

namespace gw::dp {
namespace {

// Mutations of realistic bodies (bytes flipped, inserted, deleted; structural characters
// favoured): the scanner must accept exactly what a real parser accepts as an object.
TEST(JsonScanTest, LongStringsAgreeWithBoostJsonWhateverTheSpecialByteOffset) {
  // Long runs of plain text are skipped 16 bytes at a time: a byte that needs a look must be
  // seen wherever it falls in (or across) a 16-byte block.
  const std::vector<std::string> specials = {
      "\\\"",         "\\n",  "\\u00e9", "\x01", "\t",   "\xc3\xa9", "\xc3\x28", "\xf0\x9f\x98\x80",
      "\xed\xa0\x80", "\x80", "\\",      "\\q",  "\x7f", "\"",
  };
  for (const std::string& special : specials) {
    for (size_t offset = 0; offset <= 40; ++offset) {
      const std::string text = "{\"content\":\"" + std::string(offset, 'a') + special +
                               std::string(37, 'b') + "\",\"n\":1}";
      boost::system::error_code error;
      const boost::json::value parsed = boost::json::parse(text, error);
      JsonObjectScan scan;
      ASSERT_EQ(ScanJsonObject(text, scan).ok(), !error && parsed.is_object())
          << "offset " << offset << " input: " << text;
      if (error) continue;
      const JsonMember* n = scan.Find("n");
      ASSERT_NE(n, nullptr) << text;
      EXPECT_EQ(n->value(text), "1") << text;
    }
  }
}

TEST(JsonScanFuzzTest, RandomMutationsAgreeWithBoostJson) {
  const std::vector<std::string> seeds = {
      R"({"model":"gpt-4o","messages":[{"role":"user","content":"Hi \"you\" \u00e9"}],"temperature":0.7,"stream":true})",
      R"({"a":[1,-2.5e+3,true,false,null,{"b":{}}],"c":"\\\/\n","d":[]})",
      "{\"k\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\",\"n\":0}",
  };
  const std::string alphabet = "{}[]\",:\\ 0123456789.eE+-tfnulrsa\x80\xc3\xed\xf0\x01\n";
  uint64_t state = 0x9E3779B97F4A7C15ull;
  const auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  int accepted = 0;
  for (int round = 0; round < 30000; ++round) {
    std::string text = seeds[next() % seeds.size()];
    const int edits = 1 + static_cast<int>(next() % 3);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const size_t at = next() % text.size();
      const char c = alphabet[next() % alphabet.size()];
      switch (next() % 3) {
        case 0:
          text[at] = c;
          break;
        case 1:
          text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          text.erase(at, 1);
      }
    }
    boost::system::error_code error;
    const boost::json::value parsed = boost::json::parse(text, error);
    const bool boost_object = !error && parsed.is_object();
    JsonObjectScan scan;
    const bool scanned = ScanJsonObject(text, scan).ok();
    ASSERT_EQ(scanned, boost_object) << "input: " << text << " boost: " << error.message();
    if (!scanned) continue;
    ++accepted;
    // Every member the parser sees is where the scanner says, with the same value.
    for (const auto& [key, value] : parsed.as_object()) {
      const JsonMember* member = scan.Find(absl::string_view(key.data(), key.size()));
      ASSERT_NE(member, nullptr) << text;
      const absl::string_view raw = member->value(text);
      EXPECT_EQ(boost::json::parse(std::string_view(raw.data(), raw.size())), value) << text;
    }
  }
  EXPECT_GT(accepted, 100);  // The mutations keep some inputs valid, so both paths are seen.
}

}  // namespace
}  // namespace gw::dp
