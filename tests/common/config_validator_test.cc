// The one validator both planes run: one test per rule, each starting from a valid config and
// breaking exactly one thing.
#include "common/config_validator.h"

#include <string>

#include "absl/strings/match.h"
#include "common/api_key.h"
#include "common/feature_level.h"
#include "gtest/gtest.h"
#include "tests/integration/harness/status_testing.h"

namespace gw {
namespace {

namespace cfg = gateway::config::v1;

// Two teams, two providers, three models, a route with a fallback and prices.
cfg::GatewayConfig ValidConfig() {
  cfg::GatewayConfig config;
  cfg::Team* team = config.add_teams();
  team->set_name("search");
  team->set_tier(cfg::TIER_PREMIUM);
  team->mutable_rpm()->set_value(100);
  team->mutable_monthly_budget_micro_usd()->set_value(50'000'000);
  team->add_allowed_models("gpt-4o");
  config.add_teams()->set_name("support");

  cfg::Provider* openai = config.add_providers();
  openai->set_name("openai");
  openai->set_type(cfg::PROVIDER_TYPE_OPENAI);
  openai->set_base_url("https://api.openai.com/v1");
  openai->set_credential_ref("env:OPENAI_API_KEY");
  cfg::Provider* local = config.add_providers();
  local->set_name("local");
  local->set_type(cfg::PROVIDER_TYPE_OPENAI_COMPATIBLE);
  local->set_base_url("http://127.0.0.1:11434/v1");

  for (const auto& [name, provider] :
       {std::pair{"gpt-4o", "openai"}, {"gpt-4o-mini", "openai"}, {"llama3", "local"}}) {
    cfg::Model* model = config.add_models();
    model->set_name(name);
    model->set_provider(provider);
    model->add_capabilities("chat");
  }
  cfg::Route* route = config.add_routes();
  route->set_task("chat");
  route->set_primary("gpt-4o");
  route->add_fallbacks("gpt-4o-mini");
  route->add_fallbacks("llama3");

  cfg::ModelPrice* price = config.add_prices();
  price->set_model("gpt-4o");
  price->set_input_micro_usd_per_mtok(2'500'000);
  price->set_output_micro_usd_per_mtok(10'000'000);
  return config;
}

// Expects INVALID_ARGUMENT mentioning every one of `words`.
void ExpectInvalid(const cfg::GatewayConfig& config,
                   std::initializer_list<absl::string_view> words) {
  absl::Status status = ValidateConfig(config);
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  for (absl::string_view word : words) {
    EXPECT_TRUE(absl::StrContains(status.message(), word)) << "'" << word << "' not in: " << status;
  }
}

TEST(ValidateConfigTest, ValidAndEmptyConfigsPass) {
  GW_EXPECT_OK(ValidateConfig(ValidConfig()));
  GW_EXPECT_OK(ValidateConfig(cfg::GatewayConfig()));
}

TEST(ValidateConfigTest, DuplicateNames) {
  cfg::GatewayConfig config = ValidConfig();
  config.add_teams()->set_name("search");
  ExpectInvalid(config, {"team", "search", "twice"});

  config = ValidConfig();
  *config.add_providers() = config.providers(0);
  ExpectInvalid(config, {"provider", "openai", "twice"});

  config = ValidConfig();
  *config.add_models() = config.models(2);
  ExpectInvalid(config, {"model", "llama3", "twice"});

  config = ValidConfig();
  *config.add_routes() = config.routes(0);
  ExpectInvalid(config, {"route", "chat", "twice"});

  config = ValidConfig();
  *config.add_prices() = config.prices(0);
  ExpectInvalid(config, {"price", "gpt-4o", "twice"});
}

TEST(ValidateConfigTest, InvalidNames) {
  cfg::GatewayConfig config = ValidConfig();
  config.mutable_teams(0)->set_name("bad team");
  ExpectInvalid(config, {"team", "bad team"});

  config = ValidConfig();
  config.mutable_providers(0)->set_name("");
  ExpectInvalid(config, {"provider"});

  config = ValidConfig();
  config.mutable_routes(0)->set_task("-chat");
  ExpectInvalid(config, {"route"});
}

TEST(ValidateConfigTest, ModelWithUnknownProvider) {
  cfg::GatewayConfig config = ValidConfig();
  config.mutable_models(1)->set_provider("azure");
  ExpectInvalid(config, {"gpt-4o-mini", "azure", "does not exist"});
}

TEST(ValidateConfigTest, ModelFieldRanges) {
  cfg::GatewayConfig config = ValidConfig();
  config.mutable_models(0)->set_upstream_model(std::string(257, 'm'));
  ExpectInvalid(config, {"gpt-4o", "256"});

  config = ValidConfig();
  config.mutable_models(0)->set_context_window(-1);
  ExpectInvalid(config, {"context window"});

  config = ValidConfig();
  config.mutable_models(0)->add_capabilities("tool use");
  ExpectInvalid(config, {"capability"});
}

TEST(ValidateConfigTest, RouteNamingAMissingModel) {
  cfg::GatewayConfig config = ValidConfig();
  config.mutable_routes(0)->set_primary("gpt-5");
  ExpectInvalid(config, {"chat", "gpt-5", "does not exist"});

  config = ValidConfig();
  config.mutable_routes(0)->add_fallbacks("claude");
  ExpectInvalid(config, {"chat", "claude", "does not exist"});

  config = ValidConfig();
  config.mutable_routes(0)->clear_primary();
  ExpectInvalid(config, {"chat", "primary"});
}

TEST(ValidateConfigTest, DuplicateModelInAChain) {
  cfg::GatewayConfig config = ValidConfig();
  config.mutable_routes(0)->add_fallbacks("gpt-4o");  // The primary again.
  ExpectInvalid(config, {"chat", "gpt-4o", "twice"});

  config = ValidConfig();
  config.mutable_routes(0)->add_fallbacks("llama3");
  ExpectInvalid(config, {"chat", "llama3", "twice"});
}

TEST(ValidateConfigTest, BadBaseUrls) {
  for (absl::string_view url :
       {"", "api.openai.com/v1", "ftp://api.openai.com/v1", "https://", "https:///v1",
        "https://api.openai.com/v1?key=1", "https://api.openai.com/v1#x", "not a url"}) {
    cfg::GatewayConfig config = ValidConfig();
    config.mutable_providers(0)->set_base_url(std::string(url));
    ExpectInvalid(config, {"provider", "openai", "base URL"});
  }
}

TEST(ValidateConfigTest, BaseUrlWithCredentialsIsRejectedWithoutEchoingThem) {
  cfg::GatewayConfig config = ValidConfig();
  config.mutable_providers(0)->set_base_url("https://user:hunter2secret@api.openai.com/v1");
  absl::Status status = ValidateConfig(config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(absl::StrContains(status.message(), "hunter2secret")) << status;
}

TEST(ValidateConfigTest, UnspecifiedProviderType) {
  cfg::GatewayConfig config = ValidConfig();
  config.mutable_providers(1)->set_type(cfg::PROVIDER_TYPE_UNSPECIFIED);
  ExpectInvalid(config, {"local", "provider type"});
}

TEST(ValidateConfigTest, MalformedCredentialRefWithoutEchoingIt) {
  cfg::GatewayConfig config = ValidConfig();
  config.mutable_providers(0)->set_credential_ref("sk-live-pastedSecret123");
  ExpectInvalid(config, {"openai", "credential reference"});
  EXPECT_FALSE(absl::StrContains(ValidateConfig(config).message(), "pastedSecret123"));
}

TEST(ValidateConfigTest, NegativeBudget) {
  cfg::GatewayConfig config = ValidConfig();
  config.mutable_teams(0)->mutable_monthly_budget_micro_usd()->set_value(-1);
  ExpectInvalid(config, {"search", "budget"});

  config.mutable_teams(0)->mutable_monthly_budget_micro_usd()->set_value(0);
  GW_EXPECT_OK(ValidateConfig(config));
}

TEST(ValidateConfigTest, NonPositiveLimits) {
  for (int64_t value : {0, -5}) {
    cfg::GatewayConfig config = ValidConfig();
    config.mutable_teams(1)->mutable_rpm()->set_value(value);
    ExpectInvalid(config, {"support", "rpm"});

    config = ValidConfig();
    config.mutable_teams(1)->mutable_tpm()->set_value(value);
    ExpectInvalid(config, {"support", "tpm"});

    config = ValidConfig();
    config.mutable_teams(1)->mutable_max_concurrent()->set_value(value);
    ExpectInvalid(config, {"support", "concurrent"});

    config = ValidConfig();
    config.mutable_teams(1)->mutable_max_tokens_per_request()->set_value(value);
    ExpectInvalid(config, {"support", "max tokens"});
  }
}

TEST(ValidateConfigTest, PriceForAMissingModel) {
  cfg::GatewayConfig config = ValidConfig();
  config.add_prices()->set_model("gpt-5");
  ExpectInvalid(config, {"price", "gpt-5", "does not exist"});
}

TEST(ValidateConfigTest, NegativePrice) {
  cfg::GatewayConfig config = ValidConfig();
  config.mutable_prices(0)->set_cached_input_micro_usd_per_mtok(-1);
  ExpectInvalid(config, {"gpt-4o", "negative"});
}

TEST(ValidateConfigTest, AllowedModelsMayNameModelsThatDoNotExistYet) {
  cfg::GatewayConfig config = ValidConfig();
  config.mutable_teams(0)->add_allowed_models("model-of-next-month");
  GW_EXPECT_OK(ValidateConfig(config));
}

TEST(ValidateConfigTest, AllowedModelsMustBeValidAndUnique) {
  cfg::GatewayConfig config = ValidConfig();
  config.mutable_teams(0)->add_allowed_models("gpt-4o");
  ExpectInvalid(config, {"search", "gpt-4o", "twice"});

  config = ValidConfig();
  config.mutable_teams(0)->add_allowed_models("bad model");
  ExpectInvalid(config, {"allowed model"});
}

cfg::Snapshot ValidSnapshot() {
  cfg::Snapshot snapshot;
  snapshot.set_version(3);
  *snapshot.mutable_config() = ValidConfig();
  snapshot.set_required_feature_level(RequiredFeatureLevel(snapshot.config()));
  cfg::KeyEntry* key = snapshot.add_keys();
  key->set_id("key_1");
  key->set_sha256(Sha256("gwk-one"));
  key->set_team("search");
  key = snapshot.add_keys();
  key->set_id("key_2");
  key->set_sha256(Sha256("gwk-two"));
  key->set_team("support");
  return snapshot;
}

TEST(ValidateSnapshotTest, ValidSnapshotPasses) {
  GW_EXPECT_OK(ValidateSnapshot(ValidSnapshot(), kWorkerFeatureLevel));
  cfg::Snapshot empty;
  empty.set_version(1);
  GW_EXPECT_OK(ValidateSnapshot(empty, kWorkerFeatureLevel));
}

TEST(ValidateSnapshotTest, FeatureLevelAboveTheWorkersIsAFailedPrecondition) {
  cfg::Snapshot snapshot = ValidSnapshot();
  snapshot.set_required_feature_level(2);
  absl::Status status = ValidateSnapshot(snapshot, 1);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "feature level 2")) << status;
  GW_EXPECT_OK(ValidateSnapshot(snapshot, 2));
}

TEST(ValidateSnapshotTest, VersionStartsAtOne) {
  cfg::Snapshot snapshot = ValidSnapshot();
  snapshot.set_version(0);
  EXPECT_EQ(ValidateSnapshot(snapshot, kWorkerFeatureLevel).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ValidateSnapshotTest, ConfigErrorsCount) {
  cfg::Snapshot snapshot = ValidSnapshot();
  snapshot.mutable_config()->mutable_models(0)->set_provider("nowhere");
  EXPECT_EQ(ValidateSnapshot(snapshot, kWorkerFeatureLevel).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ValidateSnapshotTest, KeyRules) {
  cfg::Snapshot snapshot = ValidSnapshot();
  snapshot.mutable_keys(1)->set_team("nobody");
  absl::Status status = ValidateSnapshot(snapshot, kWorkerFeatureLevel);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(status.message(), "nobody")) << status;

  snapshot = ValidSnapshot();
  snapshot.mutable_keys(1)->set_sha256(std::string(31, 'x'));
  EXPECT_EQ(ValidateSnapshot(snapshot, kWorkerFeatureLevel).code(),
            absl::StatusCode::kInvalidArgument);

  snapshot = ValidSnapshot();
  snapshot.mutable_keys(1)->set_sha256(snapshot.keys(0).sha256());
  EXPECT_EQ(ValidateSnapshot(snapshot, kWorkerFeatureLevel).code(),
            absl::StatusCode::kInvalidArgument);

  snapshot = ValidSnapshot();
  snapshot.mutable_keys(1)->set_id("key_1");
  EXPECT_EQ(ValidateSnapshot(snapshot, kWorkerFeatureLevel).code(),
            absl::StatusCode::kInvalidArgument);

  snapshot = ValidSnapshot();
  snapshot.mutable_keys(0)->clear_id();
  EXPECT_EQ(ValidateSnapshot(snapshot, kWorkerFeatureLevel).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ValidateSnapshotTest, KeyErrorsNeverCarryTheDigest) {
  cfg::Snapshot snapshot = ValidSnapshot();
  snapshot.mutable_keys(1)->set_sha256(snapshot.keys(0).sha256());
  absl::Status status = ValidateSnapshot(snapshot, kWorkerFeatureLevel);
  EXPECT_FALSE(absl::StrContains(status.message(), snapshot.keys(0).sha256()));
  EXPECT_FALSE(absl::StrContains(status.message(), HexEncode(snapshot.keys(0).sha256())));
}

}  // namespace
}  // namespace gw
