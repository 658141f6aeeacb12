// End-to-end test of the foundation: the real gw-control-plane on a loopback port with a
// temporary SQLite file, driven by the real gwctl through every command, restarts included.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "boost/json.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness/stack.h"

namespace gw::testing {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using ::testing::Not;

class GwctlTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(cp_.Start().ok()) << cp_.Log(); }

  CommandResult Run(const std::vector<std::string>& args, const ControlPlaneProcess* cp = nullptr,
                    const std::string& token = kAdminToken) {
    return Gwctl(cp ? *cp : cp_).Run(args, token);
  }

  // Runs a command that must succeed with `-o json` and returns its parsed output.
  json::value Json(const std::vector<std::string>& args, const ControlPlaneProcess* cp = nullptr) {
    absl::StatusOr<json::value> value = Gwctl(cp ? *cp : cp_).Json(args);
    EXPECT_TRUE(value.ok()) << value.status();
    return value.ok() ? *value : json::value();
  }

  // A command that the server must refuse: exit 1, one line on stderr, version unchanged.
  std::string ExpectRefused(const std::vector<std::string>& args) {
    const int64_t before = Version();
    CommandResult result = Run(args);
    EXPECT_EQ(result.exit_code, 1) << absl::StrJoin(args, " ") << "\n" << result.stdout_text;
    std::vector<std::string> lines =
        absl::StrSplit(result.stderr_text, '\n', absl::SkipWhitespace());
    EXPECT_EQ(lines.size(), 1u) << result.stderr_text;
    EXPECT_EQ(Version(), before) << absl::StrJoin(args, " ") << " moved the config version";
    return result.stderr_text;
  }

  int64_t Version() {
    absl::StatusOr<int64_t> version = Gwctl(cp_).Version();
    EXPECT_TRUE(version.ok()) << version.status();
    return version.value_or(-1);
  }

  TempDir dir_ = TempDir::Create().value();
  ControlPlaneProcess cp_{dir_};
};

TEST_F(GwctlTest, NewDatabaseIsVersionOneAndEmpty) {
  EXPECT_EQ(Version(), 1);
  EXPECT_TRUE(Json({"team", "list"}).as_array().empty());
  json::object status = Json({"status"}).as_object();
  EXPECT_TRUE(status.at("workers").as_array().empty());
}

TEST_F(GwctlTest, TeamLifecycle) {
  json::object team = Json({"team", "create", "search"}).as_object();
  EXPECT_EQ(team.at("name").as_string(), "search");
  EXPECT_EQ(team.at("tier"), "standard");
  EXPECT_EQ(team.at("rpm"), 60);
  EXPECT_EQ(team.at("tpm"), 100000);
  EXPECT_EQ(team.at("max_concurrent"), 10);
  EXPECT_TRUE(team.at("monthly_budget_usd").is_null());
  EXPECT_TRUE(team.at("max_tokens_per_request").is_null());
  EXPECT_EQ(Version(), 2);

  team = Json({"team", "create", "ads", "--tier", "premium", "--rpm", "500", "--budget-monthly-usd",
               "1250.50", "--allowed-models", "gpt-4o,future-model", "--max-tokens", "4096",
               "--guardrail-level", "strict"})
             .as_object();
  EXPECT_EQ(team.at("tier"), "premium");
  EXPECT_EQ(team.at("rpm"), 500);     // set explicitly
  EXPECT_EQ(team.at("tpm"), 500000);  // premium preset
  EXPECT_EQ(team.at("max_concurrent"), 50);
  EXPECT_EQ(team.at("monthly_budget_usd"), "1250.500000");
  EXPECT_EQ(team.at("max_tokens_per_request"), 4096);
  EXPECT_EQ(team.at("guardrail_level"), "strict");
  EXPECT_EQ(team.at("allowed_models").as_array().size(), 2u);

  // update changes only the flags given; global flags may follow the subcommand.
  CommandResult updated = Run({"team", "update", "ads", "--tpm", "7000", "-o", "json"});
  ASSERT_EQ(updated.exit_code, 0) << updated.stderr_text;
  team = Json({"team", "get", "ads"}).as_object();
  EXPECT_EQ(team.at("tpm"), 7000);
  EXPECT_EQ(team.at("rpm"), 500);
  EXPECT_EQ(team.at("monthly_budget_usd"), "1250.500000");

  json::array teams = Json({"team", "list"}).as_array();
  ASSERT_EQ(teams.size(), 2u);
  CommandResult table = Run({"team", "list"});
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_THAT(table.stdout_text, HasSubstr("search"));

  EXPECT_EQ(Run({"team", "delete", "search"}).exit_code, 0);
  EXPECT_THAT(ExpectRefused({"team", "get", "search"}), HasSubstr("search"));
}

TEST_F(GwctlTest, KeysAreShownOnceAndManagedById) {
  ASSERT_EQ(Run({"team", "create", "search"}).exit_code, 0);
  json::object key =
      Json({"key", "create", "--team", "search", "--name", "ci", "--expires", "30d"}).as_object();
  const std::string plaintext(key.at("key").as_string());
  const std::string id(key.at("id").as_string());
  EXPECT_EQ(key.at("prefix").as_string(), plaintext.substr(0, 12));
  EXPECT_EQ(key.at("team"), "search");
  EXPECT_EQ(key.at("name"), "ci");
  EXPECT_TRUE(key.at("expires_at").is_string());

  // Listing shows the prefix, never the key.
  CommandResult list = Run({"key", "list", "--team", "search", "-o", "json"});
  ASSERT_EQ(list.exit_code, 0);
  EXPECT_THAT(list.stdout_text, Not(HasSubstr(plaintext)));
  EXPECT_THAT(list.stdout_text, HasSubstr(id));

  json::object rotated = Json({"key", "rotate", id, "--grace", "24h"}).as_object();
  EXPECT_NE(rotated.at("id"), key.at("id"));
  EXPECT_NE(rotated.at("key"), key.at("key"));
  EXPECT_EQ(Json({"key", "list", "--team", "search"}).as_array().size(), 2u);

  EXPECT_EQ(Run({"key", "revoke", id}).exit_code, 0);
  ExpectRefused({"key", "revoke", "key_doesnotexist00"});
  ExpectRefused({"key", "create", "--team", "nobody"});
}

TEST_F(GwctlTest, ProvidersModelsRoutesAndPricing) {
  ASSERT_EQ(Run({"provider", "create", "openai", "--type", "openai", "--base-url",
                 "https://api.openai.com/v1", "--api-key-ref", "env:OPENAI_API_KEY"})
                .exit_code,
            0);
  json::object provider = Json({"provider", "get", "openai"}).as_object();
  EXPECT_EQ(provider.at("type"), "openai");
  EXPECT_EQ(provider.at("credential_ref"), "env:OPENAI_API_KEY");

  ASSERT_EQ(
      Run({"model", "create", "gpt-4o", "--provider", "openai", "--capabilities", "chat,tools"})
          .exit_code,
      0);
  ASSERT_EQ(
      Run({"model", "create", "fast", "--provider", "openai", "--upstream-model", "gpt-4o-mini"})
          .exit_code,
      0);
  EXPECT_EQ(Json({"model", "list"}).as_array().size(), 2u);
  EXPECT_EQ(Json({"model", "get", "fast"}).as_object().at("upstream_model"), "gpt-4o-mini");

  ASSERT_EQ(Run({"route", "set", "chat", "--primary", "gpt-4o", "--fallback", "fast"}).exit_code,
            0);
  json::object route = Json({"route", "get", "chat"}).as_object();
  EXPECT_EQ(route.at("primary"), "gpt-4o");
  EXPECT_EQ(route.at("fallbacks").as_array().at(0), "fast");
  EXPECT_EQ(Json({"route", "list"}).as_array().size(), 1u);

  ASSERT_EQ(Run({"pricing", "set", "gpt-4o", "--input", "2.50", "--output", "10", "--cached-input",
                 "1.25"})
                .exit_code,
            0);
  json::array prices = Json({"pricing", "list"}).as_array();
  ASSERT_EQ(prices.size(), 1u);
  EXPECT_EQ(prices[0].as_object().at("input_micro_usd_per_mtok"), 2500000);
  EXPECT_EQ(prices[0].as_object().at("cached_input_micro_usd_per_mtok"), 1250000);
  EXPECT_EQ(prices[0].as_object().at("output_micro_usd_per_mtok"), 10000000);

  // LiteLLM's format, keyed by upstream model name: prices `fast` through gpt-4o-mini.
  const std::string litellm = absl::StrCat(dir_.path(), "/prices.json");
  GW_ASSERT_OK(WriteFile(litellm, R"({"sample_spec": {"input_cost_per_token": 0},
    "gpt-4o-mini": {"input_cost_per_token": 1.5e-07, "output_cost_per_token": 6e-07,
                    "cache_read_input_token_cost": 7.5e-08, "litellm_provider": "openai"}})"));
  ASSERT_EQ(Run({"pricing", "import", litellm}).exit_code, 0);
  prices = Json({"pricing", "list"}).as_array();
  ASSERT_EQ(prices.size(), 2u);
  json::object fast;
  for (const auto& p : prices) {
    if (p.as_object().at("model") == "fast") fast = p.as_object();
  }
  EXPECT_EQ(fast.at("input_micro_usd_per_mtok"), 150000);
  EXPECT_EQ(fast.at("cached_input_micro_usd_per_mtok"), 75000);
  EXPECT_EQ(fast.at("output_micro_usd_per_mtok"), 600000);

  // In use: refused, nothing changes.
  ExpectRefused({"provider", "delete", "openai"});
  ExpectRefused({"model", "delete", "fast"});
  EXPECT_EQ(Run({"route", "delete", "chat"}).exit_code, 0);
  EXPECT_EQ(Run({"model", "delete", "fast"}).exit_code, 0);
  EXPECT_EQ(Run({"model", "delete", "gpt-4o"}).exit_code, 0);
  EXPECT_EQ(Run({"provider", "delete", "openai"}).exit_code, 0);
  EXPECT_TRUE(Json({"pricing", "list"}).as_array().empty());
}

TEST_F(GwctlTest, BadInputIsRefusedAndChangesNothing) {
  ASSERT_EQ(Run({"team", "create", "search"}).exit_code, 0);
  ASSERT_EQ(Run({"provider", "create", "openai", "--type", "openai", "--base-url",
                 "https://api.openai.com/v1"})
                .exit_code,
            0);
  ASSERT_EQ(Run({"model", "create", "gpt-4o", "--provider", "openai"}).exit_code, 0);

  EXPECT_THAT(ExpectRefused({"team", "update", "nobody", "--rpm", "5"}), HasSubstr("nobody"));
  EXPECT_THAT(ExpectRefused({"team", "create", "search"}), HasSubstr("search"));
  EXPECT_THAT(ExpectRefused({"team", "create", "bad/name"}), HasSubstr("bad/name"));
  // gwctl knows the provider types itself: an unknown one is a usage error that reaches no
  // server (the Admin API's own INVALID_ARGUMENT is covered by the admin service tests).
  const int64_t before = Version();
  EXPECT_EQ(Run({"provider", "create", "x", "--type", "bogus", "--base-url", "https://x.test"})
                .exit_code,
            2);
  EXPECT_EQ(Version(), before);
  ExpectRefused({"route", "set", "chat", "--primary", "gpt-4o", "--fallback", "missing-model"});
  ExpectRefused({"pricing", "set", "gpt-4o", "--input", "two", "--output", "1"});
  ExpectRefused({"pricing", "set", "gpt-4o", "--input", "1e3", "--output", "1"});
  const std::string secret = "sk-live-THIS-IS-A-SECRET";
  EXPECT_THAT(ExpectRefused({"provider", "create", "y", "--type", "openai", "--base-url",
                             "https://x.test", "--api-key-ref", secret}),
              Not(HasSubstr(secret)));
}

TEST_F(GwctlTest, NegativeBudgetIsRefused) {
  ASSERT_EQ(Run({"team", "create", "search"}).exit_code, 0);
  // A negative amount is either a usage error (2) or a refusal (1); never accepted.
  const int64_t before = Version();
  CommandResult result = Run({"team", "update", "search", "--budget-monthly-usd=-5"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_EQ(Version(), before);
}

TEST_F(GwctlTest, TokensAndUsageErrors) {
  CommandResult wrong = Run({"team", "list"}, nullptr, "not-the-admin-token-at-all");
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_THAT(wrong.stderr_text, Not(HasSubstr("not-the-admin-token-at-all")));
  EXPECT_EQ(Run({"team", "list"}, nullptr, kWorkerToken).exit_code, 1);

  EXPECT_EQ(Run({"team", "frobnicate"}).exit_code, 2);
  EXPECT_EQ(Run({"key", "create", "--team", "x", "--expires", "soon"}).exit_code, 2);
  EXPECT_EQ(Run({"team", "create", "x", "--rpm", "many"}).exit_code, 2);
}

TEST_F(GwctlTest, EverythingPersistsAcrossRestart) {
  ASSERT_EQ(
      Run({"team", "create", "search", "--tier", "free", "--budget-monthly-usd", "10"}).exit_code,
      0);
  ASSERT_EQ(Run({"provider", "create", "openai", "--type", "openai", "--base-url",
                 "https://api.openai.com/v1"})
                .exit_code,
            0);
  ASSERT_EQ(Run({"model", "create", "gpt-4o", "--provider", "openai"}).exit_code, 0);
  ASSERT_EQ(Run({"route", "set", "chat", "--primary", "gpt-4o"}).exit_code, 0);
  ASSERT_EQ(Run({"pricing", "set", "gpt-4o", "--input", "2.5", "--output", "10"}).exit_code, 0);
  const std::string key_id(
      Json({"key", "create", "--team", "search"}).as_object().at("id").as_string());
  const std::string before = Run({"export"}).stdout_text;
  const int64_t version = Version();

  ASSERT_TRUE(cp_.Stop().ok());
  ASSERT_TRUE(cp_.Start().ok()) << cp_.Log();

  EXPECT_EQ(Version(), version);
  EXPECT_EQ(Run({"export"}).stdout_text, before);
  EXPECT_EQ(
      Json({"key", "list", "--team", "search"}).as_array().at(0).as_object().at("id").as_string(),
      key_id);
  EXPECT_EQ(Json({"team", "get", "search"}).as_object().at("monthly_budget_usd"), "10.000000");
}

TEST_F(GwctlTest, ApplyIsIdempotentAndExportRoundTrips) {
  const std::string file = absl::StrCat(dir_.path(), "/gateway.yaml");
  GW_ASSERT_OK(WriteFile(file, R"(teams:
  - name: search
    tier: premium
    rpm: 120
    monthly_budget_usd: "250.75"
    allowed_models: [gpt-4o]
  - name: ads
providers:
  - name: openai
    type: openai
    base_url: https://api.openai.com/v1
    credential_ref: env:OPENAI_API_KEY
models:
  - name: gpt-4o
    provider: openai
    capabilities: [chat]
    context_window: 128000
routes:
  - task: chat
    primary: gpt-4o
pricing:
  - model: gpt-4o
    input_usd_per_mtok: "2.50"
    output_usd_per_mtok: "10.00"
)"));
  json::object applied = Json({"apply", "-f", file}).as_object();
  const int64_t version = applied.at("config_version").to_number<int64_t>();
  EXPECT_GT(version, 1);
  EXPECT_FALSE(applied.at("changes").as_array().empty());

  // The same file again changes nothing and does not bump the version.
  applied = Json({"apply", "-f", file}).as_object();
  EXPECT_EQ(applied.at("config_version").to_number<int64_t>(), version);
  EXPECT_TRUE(applied.at("changes").as_array().empty());
  EXPECT_EQ(Version(), version);

  // Resources absent from a file are left alone unless --prune.
  ASSERT_EQ(Run({"team", "create", "extra"}).exit_code, 0);
  ASSERT_EQ(Run({"apply", "-f", file}).exit_code, 0);
  EXPECT_EQ(Json({"team", "list"}).as_array().size(), 3u);
  ASSERT_EQ(Run({"apply", "-f", file, "--prune"}).exit_code, 0);
  EXPECT_EQ(Json({"team", "list"}).as_array().size(), 2u);

  // export -> apply into an empty database reproduces the configuration.
  const std::string exported = Run({"export"}).stdout_text;
  const std::string exported_file = absl::StrCat(dir_.path(), "/exported.yaml");
  GW_ASSERT_OK(WriteFile(exported_file, exported));
  ControlPlaneProcess second(dir_, "second.db");
  ASSERT_TRUE(second.Start().ok()) << second.Log();
  CommandResult applied_second = Run({"apply", "-f", exported_file}, &second);
  ASSERT_EQ(applied_second.exit_code, 0) << applied_second.stderr_text;
  EXPECT_EQ(Run({"export"}, &second).stdout_text, exported);
  EXPECT_THAT(exported, Not(HasSubstr("key")));  // keys are never part of export

  // An invalid file changes nothing.
  GW_ASSERT_OK(WriteFile(file, "routes:\n  - task: chat\n    primary: missing\n"));
  const int64_t before = Version();
  EXPECT_EQ(Run({"apply", "-f", file}).exit_code, 1);
  EXPECT_EQ(Version(), before);
  GW_ASSERT_OK(WriteFile(file, "teams:\n  - name: x\n    tierr: free\n"));
  EXPECT_NE(Run({"apply", "-f", file}).exit_code, 0);
  EXPECT_EQ(Version(), before);
}

}  // namespace
}  // namespace gw::testing
