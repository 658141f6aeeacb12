#include "cli/litellm_prices.h"

#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gw::cli {
namespace {

using ::testing::UnorderedElementsAre;

struct Prices {
  int64_t input = -1;
  int64_t cached = -1;
  int64_t output = -1;
  bool operator==(const Prices&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Prices& p) {
  return os << "{" << p.input << ", " << p.cached << ", " << p.output << "}";
}

std::map<std::string, Prices> ByName(const LiteLlmPrices& parsed) {
  std::map<std::string, Prices> out;
  for (const auto& p : parsed.prices) {
    EXPECT_FALSE(out.contains(p.upstream_model())) << "sent twice: " << p.upstream_model();
    out[p.upstream_model()] = {p.input_micro_usd_per_mtok(), p.cached_input_micro_usd_per_mtok(),
                               p.output_micro_usd_per_mtok()};
  }
  return out;
}

std::string ReadFixture() {
  std::ifstream file(GW_SOURCE_DIR "/tests/cli/testdata/litellm_prices.json");
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

TEST(LiteLlmPricesTest, ConvertsTheRealFormatExactly) {
  const std::string text = ReadFixture();
  ASSERT_FALSE(text.empty());
  absl::StatusOr<LiteLlmPrices> parsed = ParseLiteLlmPrices(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  std::map<std::string, Prices> prices = ByName(*parsed);

  // $2.50 / $1.25 / $10 per 1M tokens.
  EXPECT_EQ(prices["gpt-4o"], (Prices{2'500'000, 1'250'000, 10'000'000}));
  EXPECT_EQ(prices["gpt-4o-mini"], (Prices{150'000, 75'000, 600'000}));
  // No cached price: the input price.
  EXPECT_EQ(prices["openrouter/openai/gpt-4o"], (Prices{2'600'000, 2'600'000, 11'000'000}));
  // Embeddings may omit the output price.
  EXPECT_EQ(prices["text-embedding-test"], (Prices{20'000, 20'000, 0}));
  // Integer zeros are prices too.
  EXPECT_EQ(prices["ollama/llama-free"], (Prices{0, 0, 0}));
  // Ties round away from zero: 1000000.5 -> 1000001 and 0.5 -> 1.
  EXPECT_EQ(prices["tie-model"], (Prices{1'000'001, 1'000'001, 1}));
}

TEST(LiteLlmPricesTest, AliasesUnambiguousProviderPrefixedKeys) {
  absl::StatusOr<LiteLlmPrices> parsed = ParseLiteLlmPrices(ReadFixture());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  std::map<std::string, Prices> prices = ByName(*parsed);
  // Only one prefixed key ends in claude-sonnet-test and no bare entry exists: aliased.
  ASSERT_TRUE(prices.contains("claude-sonnet-test"));
  EXPECT_EQ(prices["claude-sonnet-test"], prices["anthropic/claude-sonnet-test"]);
  EXPECT_EQ(prices["claude-sonnet-test"], (Prices{3'000'000, 300'000, 15'000'000}));
  EXPECT_EQ(prices["llama-free"], (Prices{0, 0, 0}));
  // A bare entry wins over the alias of a prefixed one.
  EXPECT_EQ(prices["gpt-4o"].input, 2'500'000);
  // Two providers share the bare name: ambiguous, only the full keys are sent.
  EXPECT_FALSE(prices.contains("shared-name"));
  EXPECT_TRUE(prices.contains("azure/shared-name"));
  EXPECT_TRUE(prices.contains("bedrock/shared-name"));
}

TEST(LiteLlmPricesTest, SkipsSampleSpecAndEntriesWithoutTokenPrices) {
  absl::StatusOr<LiteLlmPrices> parsed = ParseLiteLlmPrices(ReadFixture());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  std::map<std::string, Prices> prices = ByName(*parsed);
  EXPECT_FALSE(prices.contains("sample_spec"));
  EXPECT_FALSE(prices.contains("256-x-256/dall-e-2"));
  EXPECT_FALSE(prices.contains("dall-e-2"));
  EXPECT_FALSE(prices.contains("chat-without-output-price"));
  EXPECT_FALSE(prices.contains("bad-price"));
  std::vector<std::string> skipped;
  for (const auto& s : parsed->skipped) skipped.push_back(s.key);
  EXPECT_THAT(skipped,
              UnorderedElementsAre("256-x-256/dall-e-2", "chat-without-output-price", "bad-price"));
}

TEST(LiteLlmPricesTest, DecimalNotationConvertsLikeExponentNotation) {
  absl::StatusOr<LiteLlmPrices> parsed = ParseLiteLlmPrices(
      R"({"a": {"input_cost_per_token": 0.0000025, "output_cost_per_token": 0.00001}})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->prices.size(), 1u);
  EXPECT_EQ(parsed->prices[0].input_micro_usd_per_mtok(), 2'500'000);
  EXPECT_EQ(parsed->prices[0].output_micro_usd_per_mtok(), 10'000'000);
}

TEST(LiteLlmPricesTest, RejectsTextThatIsNotAJsonObject) {
  EXPECT_FALSE(ParseLiteLlmPrices("not json").ok());
  EXPECT_FALSE(ParseLiteLlmPrices("[1, 2]").ok());
  absl::StatusOr<LiteLlmPrices> empty = ParseLiteLlmPrices("{}");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->prices.empty());
}

}  // namespace
}  // namespace gw::cli
