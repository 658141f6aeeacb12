// The configuration edits, merge and diff behind the Admin API, on plain GatewayConfig values.

#include "control_plane/admin/config_edits.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "control_plane/admin/config_diff.h"
#include "control_plane/admin/config_merge.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"

namespace gw::cp {
namespace {

namespace cfg = gateway::config::v1;
using ::google::protobuf::util::MessageDifferencer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

cfg::GatewayConfig Parse(const std::string& text) {
  cfg::GatewayConfig config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &config)) << text;
  return config;
}

const char kBase[] = R"pb(
  teams { name: "billing" tier: TIER_FREE }
  teams {
    name: "search"
    tier: TIER_STANDARD
    rpm { value: 60 }
  }
  providers { name: "openai" type: PROVIDER_TYPE_OPENAI base_url: "https://api.openai.com/v1" }
  models { name: "gpt-4o" provider: "openai" upstream_model: "gpt-4o-2024-08-06" }
  models { name: "mini" provider: "openai" upstream_model: "gpt-4o-mini" }
  routes { task: "chat" primary: "gpt-4o" fallbacks: "mini" }
  prices { model: "gpt-4o" input_micro_usd_per_mtok: 2500000 }
)pb";

TEST(ConfigDiffTest, ReportsEachChangedResourceOnceInKindAndNameOrder) {
  const cfg::GatewayConfig before = Parse(kBase);
  EXPECT_THAT(DiffConfigs(before, before), IsEmpty());
  cfg::GatewayConfig after = before;
  after.mutable_teams(1)->mutable_rpm()->set_value(120);
  after.mutable_routes()->Clear();
  after.add_teams()->set_name("ads");  // Unsorted on purpose: the report is sorted anyway.
  EXPECT_THAT(DiffConfigs(before, after),
              ElementsAre("team/ads: created", "team/search: updated", "route/chat: deleted"));
}

TEST(ConfigMergeTest, ReplacesAndAddsByNameAndPrunesOnlyWhenAsked) {
  const cfg::GatewayConfig file = Parse(R"pb(
    teams { name: "search" tier: TIER_PREMIUM }
    teams { name: "ads" }
  )pb");
  cfg::GatewayConfig merged = Parse(kBase);
  ASSERT_TRUE(MergeConfig(file, /*prune=*/false, merged).ok());
  ASSERT_EQ(merged.teams_size(), 3);
  EXPECT_EQ(merged.teams(0).name(), "ads");
  EXPECT_EQ(merged.teams(0).tier(), cfg::TIER_STANDARD);  // Defaults apply to applied teams.
  EXPECT_EQ(merged.teams(2).tier(), cfg::TIER_PREMIUM);
  EXPECT_FALSE(merged.teams(2).has_rpm());  // Replaced whole, not field by field.
  EXPECT_EQ(merged.models_size(), 2);

  cfg::GatewayConfig pruned = Parse(kBase);
  ASSERT_TRUE(MergeConfig(file, /*prune=*/true, pruned).ok());
  EXPECT_EQ(pruned.teams_size(), 2);
  EXPECT_EQ(pruned.models_size(), 0);
  EXPECT_EQ(pruned.prices_size(), 0);
}

TEST(ConfigMergeTest, RefusesAFileDefiningAResourceTwice) {
  cfg::GatewayConfig config = Parse(kBase);
  const absl::Status status = MergeConfig(Parse(R"pb(routes { task: "chat" }
                                                     routes { task: "chat" })pb"),
                                          false, config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("route 'chat' is defined twice"));
  EXPECT_TRUE(MessageDifferencer::Equals(config, Parse(kBase)));
}

TEST(ConfigEditsTest, UpdateTeamCopiesOnlyMaskedFields) {
  cfg::GatewayConfig config = Parse(kBase);
  cfg::Team patch;
  patch.set_name("search");
  patch.mutable_tpm()->set_value(1000);
  patch.set_tier(cfg::TIER_ENTERPRISE);
  google::protobuf::FieldMask mask;
  mask.add_paths("tpm");
  mask.add_paths("rpm");  // Named but unset in the patch: cleared.
  absl::StatusOr<cfg::Team> updated = UpdateTeam(patch, mask, config);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->tpm().value(), 1000);
  EXPECT_FALSE(updated->has_rpm());
  EXPECT_EQ(updated->tier(), cfg::TIER_STANDARD);
  EXPECT_TRUE(MessageDifferencer::Equals(config.teams(1), *updated));
}

TEST(ConfigEditsTest, DeletesRefuseWhileInUse) {
  cfg::GatewayConfig config = Parse(kBase);
  EXPECT_EQ(DeleteProvider("openai", config).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(DeleteModel("mini", config).code(), absl::StatusCode::kFailedPrecondition);
  SetRoute(Parse(R"pb(routes { task: "chat" primary: "mini" })pb").routes(0), config);
  ASSERT_TRUE(DeleteModel("gpt-4o", config).ok());
  EXPECT_EQ(config.prices_size(), 0);  // The price went with its model.
  EXPECT_EQ(DeleteModel("gpt-4o", config).code(), absl::StatusCode::kNotFound);
}

TEST(ConfigEditsTest, ImportPricesMatchesUpstreamOrOwnName) {
  cfg::GatewayConfig config = Parse(kBase);
  config.add_models()->set_name("llama");  // No upstream name: matched by its own name.
  config.mutable_models(2)->set_provider("openai");
  google::protobuf::RepeatedPtrField<gateway::admin::v1::UpstreamPrice> prices;
  for (const char* upstream : {"gpt-4o-mini", "llama", "gpt-4o"}) {
    gateway::admin::v1::UpstreamPrice* price = prices.Add();
    price->set_upstream_model(upstream);
    price->set_input_micro_usd_per_mtok(7);
  }
  absl::StatusOr<std::vector<cfg::ModelPrice>> updated = ImportPrices(prices, config);
  ASSERT_TRUE(updated.ok()) << updated.status();
  ASSERT_EQ(updated->size(), 2u);
  EXPECT_EQ((*updated)[0].model(), "llama");
  EXPECT_EQ((*updated)[1].model(), "mini");
  EXPECT_EQ(config.prices_size(), 3);  // gpt-4o keeps its own price: its upstream name differs.
  EXPECT_EQ(config.prices(0).input_micro_usd_per_mtok(), 2'500'000);
}

}  // namespace
}  // namespace gw::cp
