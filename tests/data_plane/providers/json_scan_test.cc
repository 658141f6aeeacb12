#include "data_plane/providers/json_scan.h"

#include <string>
#include <vector>

#include "boost/json/parse.hpp"
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
