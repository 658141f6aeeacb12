#include "cli/resource_json.h"

#include <string>

#include "boost/json.hpp"
#include "cli/output.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gw::cli {
namespace {

namespace adminpb = gateway::admin::v1;
namespace cfg = gateway::config::v1;
namespace json = boost::json;
using ::testing::ElementsAre;

// Renders as gwctl prints and parses back, so the test sees what a script sees.
json::object Printed(const json::object& object) {
  return json::parse(JsonToText(object)).as_object();
}

std::vector<std::string> Keys(const json::object& object) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : object) keys.emplace_back(key);
  return keys;
}

TEST(TeamJsonTest, DefaultTeamShowsTierPresetAndNulls) {
  cfg::Team team;
  team.set_name("search");
  team.set_tier(cfg::TIER_STANDARD);
  const json::object out = Printed(TeamJson(team));
  EXPECT_EQ(out.at("name"), "search");
  EXPECT_EQ(out.at("tier"), "standard");
  EXPECT_EQ(out.at("rpm"), 60);
  EXPECT_EQ(out.at("tpm"), 100000);
  EXPECT_EQ(out.at("max_concurrent"), 10);
  EXPECT_TRUE(out.at("max_tokens_per_request").is_null());
  EXPECT_TRUE(out.at("monthly_budget_usd").is_null());
  EXPECT_TRUE(out.at("allowed_models").as_array().empty());
  EXPECT_EQ(out.at("guardrail_level"), "standard");
}

TEST(TeamJsonTest, SetValuesWinAndInt64StaysANumber) {
  cfg::Team team;
  team.set_name("ads");
  team.set_tier(cfg::TIER_PREMIUM);
  team.mutable_rpm()->set_value(500);
  team.mutable_tpm()->set_value(9'000'000'000'000);  // beyond 2^32: still a JSON number
  team.mutable_max_tokens_per_request()->set_value(4096);
  team.mutable_monthly_budget_micro_usd()->set_value(1'250'500'000);
  team.add_allowed_models("gpt-4o");
  team.set_guardrail_level(cfg::GUARDRAIL_LEVEL_STRICT);
  const std::string text = JsonToText(TeamJson(team));
  EXPECT_THAT(text, ::testing::HasSubstr("\"tpm\": 9000000000000"));
  const json::object out = Printed(TeamJson(team));
  EXPECT_EQ(out.at("rpm"), 500);
  EXPECT_EQ(out.at("tpm").as_int64(), 9'000'000'000'000);
  EXPECT_EQ(out.at("max_concurrent"), 50);  // premium preset
  EXPECT_EQ(out.at("max_tokens_per_request"), 4096);
  EXPECT_EQ(out.at("monthly_budget_usd"), "1250.500000");
  EXPECT_EQ(out.at("allowed_models").as_array().at(0), "gpt-4o");
  EXPECT_EQ(out.at("guardrail_level"), "strict");
}

TEST(KeyJsonTest, CreatedKeyHasExactlyTheContractFields) {
  adminpb::CreateKeyResponse created;
  created.set_plaintext_key("gwk_0123456789abcdef");
  created.mutable_key()->set_id("key_1");
  created.mutable_key()->set_team("search");
  created.mutable_key()->set_name("ci");
  created.mutable_key()->set_prefix("gwk_01234567");
  created.mutable_key()->mutable_created_at()->set_seconds(1'800'000'000);
  json::object out = Printed(CreatedKeyJson(created));
  EXPECT_THAT(Keys(out), ElementsAre("id", "key", "prefix", "team", "name", "expires_at"));
  EXPECT_EQ(out.at("key"), "gwk_0123456789abcdef");
  EXPECT_TRUE(out.at("expires_at").is_null());

  created.mutable_key()->mutable_expires_at()->set_seconds(1'801'440'000);
  out = Printed(CreatedKeyJson(created));
  EXPECT_EQ(out.at("expires_at"), "2027-02-01T00:00:00Z");
}

TEST(KeyJsonTest, ListedKeyNeverHasThePlaintextAndShowsTimes) {
  adminpb::ApiKey key;
  key.set_id("key_1");
  key.set_prefix("gwk_01234567");
  key.mutable_created_at()->set_seconds(1'800'000'000);
  const json::object out = Printed(ApiKeyJson(key));
  EXPECT_FALSE(out.contains("key"));
  EXPECT_EQ(out.at("created_at"), "2027-01-15T08:00:00Z");
  EXPECT_TRUE(out.at("expires_at").is_null());
  EXPECT_TRUE(out.at("revoked_at").is_null());
}

TEST(ResourceJsonTest, ProviderModelRoute) {
  cfg::Provider provider;
  provider.set_name("local");
  provider.set_type(cfg::PROVIDER_TYPE_OPENAI_COMPATIBLE);
  json::object out = Printed(ProviderJson(provider));
  EXPECT_EQ(out.at("type"), "openai-compatible");
  EXPECT_EQ(out.at("credential_ref"), "");

  cfg::Model model;
  model.set_name("m");
  out = Printed(ModelJson(model));
  EXPECT_EQ(out.at("context_window"), 0);  // zero values included
  EXPECT_EQ(out.at("upstream_model"), "");
  EXPECT_TRUE(out.at("capabilities").is_array());

  cfg::Route route;
  route.set_task("chat");
  route.set_strategy(cfg::ROUTING_STRATEGY_COST);
  out = Printed(RouteJson(route));
  EXPECT_EQ(out.at("strategy"), "cost");
  EXPECT_TRUE(out.at("fallbacks").as_array().empty());
}

TEST(PriceJsonTest, DecimalStringsAndExactIntegers) {
  cfg::ModelPrice price;
  price.set_model("gpt-4o");
  price.set_input_micro_usd_per_mtok(2'500'000);
  price.set_cached_input_micro_usd_per_mtok(1'250'000);
  price.set_output_micro_usd_per_mtok(10'000'000);
  const json::object out = Printed(PriceJson(price));
  EXPECT_EQ(out.at("input_usd_per_mtok"), "2.500000");
  EXPECT_EQ(out.at("cached_input_usd_per_mtok"), "1.250000");
  EXPECT_EQ(out.at("output_usd_per_mtok"), "10.000000");
  EXPECT_EQ(out.at("input_micro_usd_per_mtok"), 2'500'000);
  EXPECT_EQ(out.at("cached_input_micro_usd_per_mtok"), 1'250'000);
  EXPECT_EQ(out.at("output_micro_usd_per_mtok"), 10'000'000);
}

TEST(StatusJsonTest, ContractShape) {
  adminpb::GetStatusResponse status;
  status.set_config_version(7);
  adminpb::WorkerStatus* worker = status.add_workers();
  worker->set_worker_id("w1");
  worker->set_connected(true);
  worker->set_applied_version(7);
  worker->mutable_last_seen()->set_seconds(1'800'000'000);
  const json::object out = Printed(StatusJson(status));
  EXPECT_THAT(Keys(out), ElementsAre("config_version", "workers"));
  EXPECT_EQ(out.at("config_version"), 7);
  const json::object w = out.at("workers").as_array().at(0).as_object();
  EXPECT_THAT(Keys(w),
              ElementsAre("worker_id", "address", "connected", "connected_since", "applied_version",
                          "last_nack_version", "last_nack_message", "last_seen"));
  EXPECT_EQ(w.at("connected"), true);
  EXPECT_TRUE(w.at("connected_since").is_null());
  EXPECT_EQ(w.at("last_nack_version"), 0);
  EXPECT_EQ(w.at("last_seen"), "2027-01-15T08:00:00Z");
}

TEST(SpendRowJsonTest, OnlyTheGroupingFieldsAskedFor) {
  adminpb::SpendRow row;
  row.set_team("search");
  row.set_model("gpt-4o");
  row.set_day("2026-11-02");
  row.set_requests(3);
  row.set_cost_pico_usd(1'234'567'890);
  json::object out =
      Printed(SpendRowJson(row, {adminpb::SPEND_GROUPING_DAY, adminpb::SPEND_GROUPING_MODEL}));
  EXPECT_THAT(Keys(out),
              ElementsAre("model", "day", "requests", "failed_requests", "input_tokens",
                          "cached_input_tokens", "output_tokens", "cost_pico_usd", "cost_usd"));
  EXPECT_EQ(out.at("cost_pico_usd"), 1'234'567'890);
  EXPECT_EQ(out.at("cost_usd"), "0.001235");
  out = Printed(SpendRowJson(row, {adminpb::SPEND_GROUPING_TEAM, adminpb::SPEND_GROUPING_KEY}));
  EXPECT_EQ(out.at("team"), "search");
  EXPECT_EQ(out.at("key_id"), "");
  EXPECT_FALSE(out.contains("model"));
}

TEST(UsageRecordJsonTest, NumbersAndCost) {
  gateway::usage::v1::UsageRecord record;
  record.set_record_id("r1");
  record.set_status_code(429);
  record.set_error_code("rate_limit_exceeded");
  record.set_input_tokens(12);
  record.set_cost_pico_usd(30'000'000);
  const json::object out = Printed(UsageRecordJson(record));
  EXPECT_EQ(out.at("status_code"), 429);
  EXPECT_EQ(out.at("input_tokens"), 12);
  EXPECT_EQ(out.at("cost_usd"), "0.000030");
  EXPECT_TRUE(out.at("timestamp").is_null());
  EXPECT_EQ(out.at("streamed"), false);
}

TEST(ApplyJsonTest, VersionAndChanges) {
  adminpb::ApplyResponse response;
  response.set_config_version(12);
  response.add_changes("team/search: created");
  const json::object out = Printed(ApplyJson(response));
  EXPECT_THAT(Keys(out), ElementsAre("config_version", "changes"));
  EXPECT_EQ(out.at("changes").as_array().at(0), "team/search: created");
}

TEST(ListJsonTest, ListsAreArrays) {
  google::protobuf::RepeatedPtrField<cfg::Route> routes;
  EXPECT_EQ(JsonToText(ListJson(routes, RouteJson)), "[]\n");
  routes.Add()->set_task("a");
  routes.Add()->set_task("b");
  const json::value out = json::parse(JsonToText(ListJson(routes, RouteJson)));
  ASSERT_TRUE(out.is_array());
  EXPECT_EQ(out.as_array().size(), 2u);
}

TEST(TableTest, ColumnsAreAlignedWithoutTrailingBlanks) {
  Table table({"NAME", "TIER"});
  table.AddRow({"search", "premium"});
  table.AddRow({"a", "free"});
  EXPECT_EQ(table.Render(),
            "NAME    TIER\n"
            "search  premium\n"
            "a       free\n");
  EXPECT_EQ(RenderFields({{"name", "x"}, {"monthly budget", "-"}}),
            "name:            x\n"
            "monthly budget:  -\n");
}

}  // namespace
}  // namespace gw::cli
