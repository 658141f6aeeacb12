#include "cli/config_yaml.h"

#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace gw::cli {
namespace {

namespace cfg = gateway::config::v1;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kFullExample[] = R"(teams:
  - name: search
    tier: premium
    allowed_models: [gpt-4o, future-model]
    max_tokens_per_request: 4096
    rpm: 600
    tpm: 900000
    max_concurrent: 25
    monthly_budget_usd: "1250.50"
    guardrail_level: strict
  - name: ads
providers:
  - name: openai
    type: openai
    base_url: https://api.openai.com/v1
    credential_ref: env:OPENAI_API_KEY
  - name: local
    type: openai-compatible
    base_url: http://127.0.0.1:11434/v1
models:
  - name: gpt-4o
    provider: openai
    upstream_model: gpt-4o-2024-08-06
    capabilities: [chat, tools]
    context_window: 128000
  - name: llama
    provider: local
routes:
  - task: chat
    primary: gpt-4o
    fallbacks: [llama]
    strategy: cost
  - task: summarize
    primary: llama
pricing:
  - model: gpt-4o
    input_usd_per_mtok: "2.50"
    cached_input_usd_per_mtok: "1.25"
    output_usd_per_mtok: "10.00"
  - model: llama
    input_usd_per_mtok: 0.000001
    output_usd_per_mtok: 0
)";

cfg::GatewayConfig ParseOk(const std::string& text) {
  absl::StatusOr<cfg::GatewayConfig> config = ParseGatewayYaml(text);
  EXPECT_TRUE(config.ok()) << config.status();
  return config.ok() ? *config : cfg::GatewayConfig();
}

std::string ParseError(const std::string& text) {
  absl::StatusOr<cfg::GatewayConfig> config = ParseGatewayYaml(text);
  EXPECT_FALSE(config.ok()) << text;
  return std::string(config.status().message());
}

TEST(ParseGatewayYamlTest, ReadsEveryResourceKind) {
  const cfg::GatewayConfig config = ParseOk(kFullExample);
  ASSERT_EQ(config.teams_size(), 2);
  const cfg::Team& search = config.teams(0);
  EXPECT_EQ(search.name(), "search");
  EXPECT_EQ(search.tier(), cfg::TIER_PREMIUM);
  EXPECT_THAT(search.allowed_models(), ::testing::ElementsAre("gpt-4o", "future-model"));
  EXPECT_EQ(search.max_tokens_per_request().value(), 4096);
  EXPECT_EQ(search.rpm().value(), 600);
  EXPECT_EQ(search.tpm().value(), 900000);
  EXPECT_EQ(search.max_concurrent().value(), 25);
  EXPECT_EQ(search.monthly_budget_micro_usd().value(), 1'250'500'000);
  EXPECT_EQ(search.guardrail_level(), cfg::GUARDRAIL_LEVEL_STRICT);

  ASSERT_EQ(config.providers_size(), 2);
  EXPECT_EQ(config.providers(1).type(), cfg::PROVIDER_TYPE_OPENAI_COMPATIBLE);
  EXPECT_EQ(config.providers(0).credential_ref(), "env:OPENAI_API_KEY");
  ASSERT_EQ(config.models_size(), 2);
  EXPECT_EQ(config.models(0).upstream_model(), "gpt-4o-2024-08-06");
  EXPECT_EQ(config.models(0).context_window(), 128000);
  EXPECT_THAT(config.models(0).capabilities(), ::testing::ElementsAre("chat", "tools"));
  ASSERT_EQ(config.routes_size(), 2);
  EXPECT_EQ(config.routes(0).strategy(), cfg::ROUTING_STRATEGY_COST);
  EXPECT_EQ(config.routes(1).strategy(), cfg::ROUTING_STRATEGY_FALLBACK);
  ASSERT_EQ(config.prices_size(), 2);
  EXPECT_EQ(config.prices(0).input_micro_usd_per_mtok(), 2'500'000);
  EXPECT_EQ(config.prices(0).cached_input_micro_usd_per_mtok(), 1'250'000);
  EXPECT_EQ(config.prices(0).output_micro_usd_per_mtok(), 10'000'000);
  // Unquoted money is read from its text, never through a float; no cached price: the input's.
  EXPECT_EQ(config.prices(1).input_micro_usd_per_mtok(), 1);
  EXPECT_EQ(config.prices(1).cached_input_micro_usd_per_mtok(), 1);
  EXPECT_EQ(config.prices(1).output_micro_usd_per_mtok(), 0);
}

TEST(ParseGatewayYamlTest, UnsetTeamValuesStayUnsetAndDefaultsAreExplicit) {
  const cfg::Team ads = ParseOk(kFullExample).teams(1);
  EXPECT_EQ(ads.tier(), cfg::TIER_STANDARD);
  EXPECT_EQ(ads.guardrail_level(), cfg::GUARDRAIL_LEVEL_STANDARD);
  EXPECT_FALSE(ads.has_rpm());
  EXPECT_FALSE(ads.has_tpm());
  EXPECT_FALSE(ads.has_max_concurrent());
  EXPECT_FALSE(ads.has_max_tokens_per_request());
  EXPECT_FALSE(ads.has_monthly_budget_micro_usd());
  EXPECT_TRUE(ads.allowed_models().empty());
  // Explicit null is the same as absent; an explicit 0 is a set value.
  const cfg::Team t = ParseOk("teams:\n  - name: t\n    rpm: ~\n    tpm: 0\n").teams(0);
  EXPECT_FALSE(t.has_rpm());
  ASSERT_TRUE(t.has_tpm());
  EXPECT_EQ(t.tpm().value(), 0);
}

TEST(ParseGatewayYamlTest, EmptyDocumentIsAnEmptyConfiguration) {
  EXPECT_EQ(ParseOk("").ByteSizeLong(), 0u);
  EXPECT_EQ(ParseOk("# nothing\n").ByteSizeLong(), 0u);
  EXPECT_EQ(ParseOk("teams: []\nproviders:\n").ByteSizeLong(), 0u);
}

TEST(ParseGatewayYamlTest, UnknownKeysAreErrorsNamingThePath) {
  std::string error = ParseError("teams:\n  - name: a\n  - name: b\n    rpmm: 5\n");
  EXPECT_THAT(error, HasSubstr("teams[1].rpmm"));
  EXPECT_THAT(error, HasSubstr("unknown key"));
  EXPECT_THAT(error, HasSubstr("line 4"));
  EXPECT_THAT(ParseError("team:\n  - name: a\n"), HasSubstr("unknown key 'team'"));
  EXPECT_THAT(ParseError("models:\n  - name: m\n    provider: p\n    context: 5\n"),
              HasSubstr("models[0].context"));
  EXPECT_THAT(ParseError("pricing:\n  - model: m\n    input_usd_per_mtok: 1\n"
                         "    output_usd_per_mtok: 1\n    cached_usd_per_mtok: 1\n"),
              HasSubstr("pricing[0].cached_usd_per_mtok"));
}

TEST(ParseGatewayYamlTest, DuplicatesAreErrors) {
  EXPECT_THAT(ParseError("teams:\n  - name: a\n    rpm: 5\n    rpm: 6\n"),
              HasSubstr("teams[0].rpm: duplicate key"));
  EXPECT_THAT(ParseError("teams:\n  - name: a\n  - name: b\n  - name: a\n"),
              HasSubstr("teams[2]: duplicate 'a' (also teams[0])"));
  EXPECT_THAT(ParseError("routes:\n  - {task: t, primary: m}\n  - {task: t, primary: n}\n"),
              HasSubstr("routes[1]"));
  // The same name in different kinds is fine.
  ParseOk(
      "models:\n  - {name: x, provider: p}\npricing:\n  - {model: x, input_usd_per_mtok: 1, "
      "output_usd_per_mtok: 2}\n");
}

TEST(ParseGatewayYamlTest, BadValuesAreErrorsNamingThePath) {
  EXPECT_THAT(ParseError("teams:\n  - name: a\n    tier: gold\n"), HasSubstr("teams[0].tier"));
  EXPECT_THAT(ParseError("teams:\n  - name: a\n    rpm: lots\n"), HasSubstr("teams[0].rpm"));
  EXPECT_THAT(ParseError("teams:\n  - name: a\n    monthly_budget_usd: 1.0000001\n"),
              HasSubstr("teams[0].monthly_budget_usd"));
  EXPECT_THAT(ParseError("teams:\n  - name: a\n    monthly_budget_usd: 1e3\n"),
              HasSubstr("teams[0].monthly_budget_usd"));
  EXPECT_THAT(ParseError("teams:\n  - tier: free\n"), HasSubstr("teams[0].name"));
  EXPECT_THAT(ParseError("teams:\n  - name: a\n    allowed_models: gpt-4o\n"),
              HasSubstr("teams[0].allowed_models"));
  EXPECT_THAT(ParseError("providers:\n  - name: p\n"), HasSubstr("providers[0].type"));
  EXPECT_THAT(ParseError("providers:\n  - name: p\n    type: bogus\n"),
              HasSubstr("providers[0].type"));
  EXPECT_THAT(ParseError("routes:\n  - task: t\n    primary: m\n    strategy: fast\n"),
              HasSubstr("routes[0].strategy"));
  EXPECT_THAT(ParseError("pricing:\n  - model: m\n    input_usd_per_mtok: \"1\"\n"),
              HasSubstr("pricing[0].output_usd_per_mtok"));
  EXPECT_THAT(ParseError("teams: {name: a}\n"), HasSubstr("teams"));
  EXPECT_THAT(ParseError("- a\n- b\n"), HasSubstr("mapping"));
  EXPECT_THAT(ParseError("teams: [\n"), HasSubstr("line"));
}

TEST(EmitGatewayYamlTest, RoundTripsExactly) {
  const cfg::GatewayConfig config = ParseOk(kFullExample);
  absl::StatusOr<std::string> yaml = EmitGatewayYaml(config);
  ASSERT_TRUE(yaml.ok()) << yaml.status();
  const cfg::GatewayConfig reparsed = ParseOk(*yaml);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(config, reparsed))
      << *yaml << "\n"
      << reparsed.DebugString();
  // Emitting the re-read configuration gives the same text.
  EXPECT_EQ(*EmitGatewayYaml(reparsed), *yaml);
}

TEST(EmitGatewayYamlTest, WritesTheTierAndOnlyTheTeamValuesSet) {
  cfg::GatewayConfig config;
  cfg::Team* team = config.add_teams();
  team->set_name("ads");
  team->set_tier(cfg::TIER_STANDARD);
  team->mutable_tpm()->set_value(7000);
  const std::string yaml = *EmitGatewayYaml(config);
  EXPECT_THAT(yaml, HasSubstr("tier: standard"));
  EXPECT_THAT(yaml, HasSubstr("tpm: 7000"));
  for (const char* absent : {"rpm", "max_concurrent", "max_tokens_per_request",
                             "monthly_budget_usd", "allowed_models", "guardrail_level"}) {
    EXPECT_THAT(yaml, Not(HasSubstr(absent))) << yaml;
  }
  const cfg::Team reparsed = ParseOk(yaml).teams(0);
  EXPECT_FALSE(reparsed.has_rpm());
  EXPECT_EQ(reparsed.tpm().value(), 7000);
}

TEST(EmitGatewayYamlTest, MoneyIsWrittenAsExactDecimalStrings) {
  cfg::GatewayConfig config;
  cfg::Team* team = config.add_teams();
  team->set_name("t");
  team->mutable_monthly_budget_micro_usd()->set_value(100'000'000);
  cfg::ModelPrice* price = config.add_prices();
  price->set_model("m");
  price->set_input_micro_usd_per_mtok(2'500'000);
  price->set_cached_input_micro_usd_per_mtok(1);
  price->set_output_micro_usd_per_mtok(10'123'456);
  const std::string yaml = *EmitGatewayYaml(config);
  EXPECT_THAT(yaml, HasSubstr("monthly_budget_usd: \"100.00\""));
  EXPECT_THAT(yaml, HasSubstr("input_usd_per_mtok: \"2.50\""));
  EXPECT_THAT(yaml, HasSubstr("cached_input_usd_per_mtok: \"0.000001\""));
  EXPECT_THAT(yaml, HasSubstr("output_usd_per_mtok: \"10.123456\""));
  const cfg::GatewayConfig reparsed = ParseOk(yaml);
  EXPECT_EQ(reparsed.teams(0).monthly_budget_micro_usd().value(), 100'000'000);
  EXPECT_EQ(reparsed.prices(0).output_micro_usd_per_mtok(), 10'123'456);
  EXPECT_EQ(reparsed.prices(0).cached_input_micro_usd_per_mtok(), 1);
}

TEST(EmitGatewayYamlTest, NamesThatLookLikeOtherTypesAreQuoted) {
  cfg::GatewayConfig config;
  config.add_teams()->set_name("123");
  config.add_teams()->set_name("true");
  const std::string yaml = *EmitGatewayYaml(config);
  EXPECT_THAT(yaml, HasSubstr("\"123\""));
  EXPECT_THAT(yaml, HasSubstr("\"true\""));
  EXPECT_EQ(ParseOk(yaml).teams(1).name(), "true");
}

TEST(EmitGatewayYamlTest, EmptyConfigurationListsEverySection) {
  const std::string yaml = *EmitGatewayYaml(cfg::GatewayConfig());
  for (const char* section :
       {"teams: []", "providers: []", "models: []", "routes: []", "pricing: []"}) {
    EXPECT_THAT(yaml, HasSubstr(section));
  }
  EXPECT_EQ(ParseOk(yaml).ByteSizeLong(), 0u);
}

TEST(FormatUsdCompactTest, KeepsTwoToSixDecimals) {
  EXPECT_EQ(FormatUsdCompact(0), "0.00");
  EXPECT_EQ(FormatUsdCompact(2'500'000), "2.50");
  EXPECT_EQ(FormatUsdCompact(1), "0.000001");
  EXPECT_EQ(FormatUsdCompact(1'250'500'000), "1250.50");
  EXPECT_EQ(FormatUsdCompact(123'456), "0.123456");
}

}  // namespace
}  // namespace gw::cli
