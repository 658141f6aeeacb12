// The built gwctl binary end to end: exit codes, stderr lines, flags to requests and JSON output,
// against no server at all and against an in-process fake Admin server.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "boost/json.hpp"
#include "cli/config_yaml.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/fake_admin_server.h"
#include "tests/cli/gwctl_runner.h"

namespace gw::testing {
namespace {

namespace cfg = gateway::config::v1;
namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr char kToken[] = "admin-token-never-printed";

// A TCP port bound but not listening: connecting is refused at once, with no race against
// another process taking the port.
class RefusingPort {
 public:
  RefusingPort() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), len);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~RefusingPort() { close(fd_); }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }

 private:
  int fd_;
  int port_ = 0;
};

TEST(GwctlUsageTest, UsageErrorsExitTwoWithoutContactingAServer) {
  RefusingPort port;
  const std::vector<std::vector<std::string>> bad_invocations = {
      {},
      {"team"},
      {"team", "frobnicate"},
      {"team", "create"},
      {"team", "create", "x", "--rpm", "many"},
      {"team", "create", "x", "--tier", "gold"},
      {"team", "create", "x", "--budget-monthly-usd", "1e3"},
      {"team", "create", "x", "--budget-monthly-usd=-5"},
      {"team", "update", "x"},
      {"key", "create", "--team", "x", "--expires", "soon"},
      {"key", "create", "--team", "x", "--expires", "2001-01-01T00:00:00Z"},
      {"key", "create", "--name", "no-team"},
      {"key", "rotate", "key_1", "--grace", "1 day"},
      {"provider", "create", "p", "--type", "bogus", "--base-url", "https://x.test"},
      {"model", "create", "m"},
      {"model", "create", "m", "--provider", "p", "--context-window", "big"},
      {"route", "set", "chat"},
      {"route", "set", "chat", "--primary", "m", "--strategy", "fastest"},
      {"pricing", "set", "m", "--input", "1"},
      {"spend", "--by", "week"},
      {"spend", "--from", "2026-11-01"},
      {"spend", "--from", "2026-13-01", "--to", "2026-13-02"},
      {"usage", "-n", "0"},
      {"-o", "yaml", "team", "list"},
      {"team", "list", "--no-such-flag"},
      {"apply"},
  };
  for (std::vector<std::string> args : bad_invocations) {
    args.insert(args.begin(), {"--server", port.address()});
    const GwctlResult result = RunGwctl(args);
    EXPECT_EQ(result.exit_code, 2) << absl::StrJoin(args, " ") << "\n" << result.stderr_text;
    EXPECT_FALSE(result.stderr_text.empty()) << absl::StrJoin(args, " ");
    EXPECT_THAT(result.stderr_text, Not(HasSubstr("cannot reach"))) << absl::StrJoin(args, " ");
  }
}

TEST(GwctlUsageTest, HelpExitsZero) {
  const GwctlResult result = RunGwctl({"--help"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.stdout_text, HasSubstr("team"));
}

TEST(GwctlUsageTest, BadInputFilesExitTwo) {
  RefusingPort port;
  GwctlResult result =
      RunGwctl({"--server", port.address(), "apply", "-f", "/nonexistent/gateway.yaml"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.stderr_text, HasSubstr("/nonexistent/gateway.yaml"));
  result = RunGwctl({"--server", port.address(), "pricing", "import", "/nonexistent/p.json"});
  EXPECT_EQ(result.exit_code, 2);
}

TEST(GwctlUnreachableTest, ExitsOneWithOneLineNamingTheAddress) {
  RefusingPort port;
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"team", "list"}, {"status", "-o", "json"}, {"export"}}) {
    std::vector<std::string> args = {"--server", port.address(), "--token", kToken};
    args.insert(args.end(), command.begin(), command.end());
    const GwctlResult result = RunGwctl(args);
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_THAT(NonEmptyLines(result.stderr_text),
                ElementsAre(absl::StrCat("error: cannot reach the server at ", port.address())));
    EXPECT_EQ(result.stdout_text, "");
    EXPECT_THAT(result.stderr_text, Not(HasSubstr(kToken)));
  }
}

class GwctlFakeServerTest : public ::testing::Test {
 protected:
  // Global flags go after the subcommand here, which the contract allows.
  GwctlResult Run(std::vector<std::string> args) {
    args.insert(args.end(), {"--server", server_.address(), "--token", kToken});
    GwctlResult result = RunGwctl(args);
    EXPECT_THAT(result.stdout_text + result.stderr_text, Not(HasSubstr(kToken)));
    return result;
  }

  json::value Json(std::vector<std::string> args) {
    args.insert(args.end(), {"-o", "json"});
    const GwctlResult result = Run(args);
    EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
    boost::system::error_code ec;
    json::value value = json::parse(result.stdout_text, ec);
    EXPECT_FALSE(ec) << result.stdout_text;
    return value;
  }

  FakeAdminServer server_;
};

TEST_F(GwctlFakeServerTest, SendsTheTokenAsBearerMetadata) {
  ASSERT_EQ(Run({"team", "list"}).exit_code, 0);
  EXPECT_THAT(server_.service().recorded().authorization,
              ElementsAre(absl::StrCat("Bearer ", kToken)));
}

TEST_F(GwctlFakeServerTest, EnvironmentSetsServerAndToken) {
  const GwctlResult result = RunGwctl({"-o", "json", "team", "list"},
                                      {{"GWCTL_SERVER", server_.address()}, {"GWCTL_TOKEN", "t2"}});
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_THAT(server_.service().recorded().authorization, ElementsAre("Bearer t2"));
  EXPECT_TRUE(json::parse(result.stdout_text).is_array());
}

TEST_F(GwctlFakeServerTest, TeamCreateSendsTheFlagsAndDefaultsToStandard) {
  json::object team = Json({"team", "create", "plain"}).as_object();
  cfg::Team sent = server_.service().recorded().create_team.team();
  EXPECT_EQ(sent.tier(), cfg::TIER_STANDARD);
  EXPECT_EQ(sent.guardrail_level(), cfg::GUARDRAIL_LEVEL_STANDARD);
  EXPECT_FALSE(sent.has_rpm());
  EXPECT_FALSE(sent.has_monthly_budget_micro_usd());
  EXPECT_EQ(team.at("rpm"), 60);
  EXPECT_TRUE(team.at("monthly_budget_usd").is_null());

  team = Json({"team", "create", "ads", "--tier", "premium", "--rpm", "500", "--budget-monthly-usd",
               "1250.50", "--allowed-models", "gpt-4o,future-model", "--max-tokens", "4096",
               "--guardrail-level", "strict", "--max-concurrent", "3", "--tpm", "7000"})
             .as_object();
  sent = server_.service().recorded().create_team.team();
  EXPECT_EQ(sent.name(), "ads");
  EXPECT_EQ(sent.tier(), cfg::TIER_PREMIUM);
  EXPECT_EQ(sent.rpm().value(), 500);
  EXPECT_EQ(sent.tpm().value(), 7000);
  EXPECT_EQ(sent.max_concurrent().value(), 3);
  EXPECT_EQ(sent.monthly_budget_micro_usd().value(), 1'250'500'000);
  EXPECT_EQ(sent.max_tokens_per_request().value(), 4096);
  EXPECT_THAT(sent.allowed_models(), ElementsAre("gpt-4o", "future-model"));
  EXPECT_EQ(sent.guardrail_level(), cfg::GUARDRAIL_LEVEL_STRICT);
  EXPECT_EQ(team.at("monthly_budget_usd"), "1250.500000");
  EXPECT_EQ(team.at("max_tokens_per_request"), 4096);
}

TEST_F(GwctlFakeServerTest, TeamUpdateMasksExactlyTheFlagsGiven) {
  ASSERT_EQ(Run({"team", "update", "ads", "--tpm", "7000"}).exit_code, 0);
  auto request = server_.service().recorded().update_team;
  EXPECT_THAT(request.update_mask().paths(), ElementsAre("tpm"));
  EXPECT_EQ(request.team().name(), "ads");
  EXPECT_EQ(request.team().tpm().value(), 7000);

  // "none" clears: the path is in the mask and the field is left unset.
  ASSERT_EQ(Run({"team", "update", "ads", "--budget-monthly-usd", "none", "--max-tokens", "none",
                 "--allowed-models", "", "--tier", "free"})
                .exit_code,
            0);
  request = server_.service().recorded().update_team;
  EXPECT_THAT(request.update_mask().paths(),
              UnorderedElementsAre("monthly_budget_micro_usd", "max_tokens_per_request",
                                   "allowed_models", "tier"));
  EXPECT_FALSE(request.team().has_monthly_budget_micro_usd());
  EXPECT_FALSE(request.team().has_max_tokens_per_request());
  EXPECT_TRUE(request.team().allowed_models().empty());
  EXPECT_EQ(request.team().tier(), cfg::TIER_FREE);
}

TEST_F(GwctlFakeServerTest, RefusalPrintsTheServerMessageOnOneLine) {
  const GwctlResult result = Run({"team", "get", "nobody"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.stderr_text, "error: team 'nobody' not found\n");
  EXPECT_EQ(result.stdout_text, "");
}

TEST_F(GwctlFakeServerTest, UnimplementedRpcsAreReportedCleanly) {
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"usage", "-n", "5"},
        {"spend", "--by", "day,model", "--by", "key", "--from", "2026-11-01", "--to", "2026-11-30"},
        {"route", "list"}}) {
    const GwctlResult result = Run(command);
    EXPECT_EQ(result.exit_code, 1);
    ASSERT_EQ(NonEmptyLines(result.stderr_text).size(), 1u) << result.stderr_text;
    EXPECT_THAT(result.stderr_text, HasSubstr("does not implement"));
  }
}

TEST_F(GwctlFakeServerTest, GetAndListPrintJsonObjectsAndArrays) {
  json::object team = Json({"team", "get", "search"}).as_object();
  EXPECT_EQ(team.at("tier"), "premium");
  EXPECT_EQ(team.at("rpm"), 500);
  EXPECT_EQ(team.at("tpm"), 500000);  // premium preset
  json::array teams = Json({"team", "list"}).as_array();
  ASSERT_EQ(teams.size(), 2u);
  EXPECT_EQ(teams[1].as_object().at("monthly_budget_usd"), "100.000000");

  const GwctlResult table = Run({"team", "list"});
  ASSERT_EQ(table.exit_code, 0);
  EXPECT_THAT(NonEmptyLines(table.stdout_text),
              ElementsAre(HasSubstr("NAME"), HasSubstr("search"), HasSubstr("$100.00")));
}

TEST_F(GwctlFakeServerTest, KeyCreatePrintsTheContractObjectOnce) {
  const absl::Time before = absl::Now();
  json::object key = Json({"key", "create", "--team", "search", "--name", "ci", "--expires", "30d",
                           "--allowed-models", "gpt-4o"})
                         .as_object();
  std::vector<std::string> fields;
  for (const auto& [name, value] : key) fields.emplace_back(name);
  EXPECT_THAT(fields, ElementsAre("id", "key", "prefix", "team", "name", "expires_at"));
  EXPECT_EQ(key.at("key"), "gwk_live_0123456789abcdefghij");
  EXPECT_TRUE(key.at("expires_at").is_string());

  const auto request = server_.service().recorded().create_key;
  EXPECT_EQ(request.team(), "search");
  EXPECT_EQ(request.name(), "ci");
  EXPECT_THAT(request.allowed_models(), ElementsAre("gpt-4o"));
  const absl::Time expiry = absl::FromUnixSeconds(request.expires_at().seconds());
  EXPECT_GE(expiry, before + absl::Hours(24 * 30) - absl::Seconds(1));
  EXPECT_LE(expiry, absl::Now() + absl::Hours(24 * 30));

  const GwctlResult table = Run({"key", "create", "--team", "search"});
  ASSERT_EQ(table.exit_code, 0);
  EXPECT_THAT(table.stdout_text, HasSubstr("gwk_live_0123456789abcdefghij"));
  EXPECT_THAT(table.stdout_text, HasSubstr("only once"));
  EXPECT_FALSE(server_.service().recorded().create_key.has_expires_at());
}

TEST_F(GwctlFakeServerTest, KeyRotateSendsTheGrace) {
  ASSERT_EQ(Run({"key", "rotate", "key_0001", "--grace", "24h"}).exit_code, 0);
  EXPECT_EQ(server_.service().recorded().rotate_key.id(), "key_0001");
  EXPECT_EQ(server_.service().recorded().rotate_key.grace_period().seconds(), 86400);
  ASSERT_EQ(Run({"key", "rotate", "key_0001"}).exit_code, 0);
  EXPECT_EQ(server_.service().recorded().rotate_key.grace_period().seconds(), 0);
}

TEST_F(GwctlFakeServerTest, PricesTravelAsTheDecimalStringsTyped) {
  json::object price =
      Json({"pricing", "set", "gpt-4o", "--input", "2.50", "--output", "10"}).as_object();
  const auto request = server_.service().recorded().set_price;
  EXPECT_EQ(request.input_usd_per_mtok(), "2.50");
  EXPECT_EQ(request.output_usd_per_mtok(), "10");
  EXPECT_EQ(request.cached_input_usd_per_mtok(), "");
  EXPECT_EQ(price.at("input_micro_usd_per_mtok"), 2'500'000);
  EXPECT_EQ(price.at("input_usd_per_mtok"), "2.500000");
}

TEST_F(GwctlFakeServerTest, PricingImportSendsConvertedPricesAndPrintsWhatWasPriced) {
  json::array updated =
      Json({"pricing", "import", GW_SOURCE_DIR "/tests/cli/testdata/litellm_prices.json"})
          .as_array();
  ASSERT_EQ(updated.size(), 1u);
  EXPECT_EQ(updated[0].as_object().at("model"), "fast");
  EXPECT_EQ(updated[0].as_object().at("input_micro_usd_per_mtok"), 150'000);
  EXPECT_EQ(updated[0].as_object().at("cached_input_micro_usd_per_mtok"), 75'000);
  bool saw_gpt_4o = false;
  const FakeAdminService::Recorded recorded = server_.service().recorded();
  for (const auto& p : recorded.import_prices.prices()) {
    if (p.upstream_model() != "gpt-4o") continue;
    saw_gpt_4o = true;
    EXPECT_EQ(p.input_micro_usd_per_mtok(), 2'500'000);
    EXPECT_EQ(p.output_micro_usd_per_mtok(), 10'000'000);
  }
  EXPECT_TRUE(saw_gpt_4o);
}

TEST_F(GwctlFakeServerTest, ApplySendsTheParsedFileAndPrintsChanges) {
  const std::string file = absl::StrCat(::testing::TempDir(), "/gwctl-apply-", getpid(), ".yaml");
  {
    std::ofstream out(file);
    out << "teams:\n  - name: search\n    monthly_budget_usd: \"12.34\"\n";
  }
  const GwctlResult result = Run({"apply", "-f", file, "--dry-run", "--prune"});
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_THAT(result.stdout_text, HasSubstr("team/search: created"));
  EXPECT_THAT(result.stdout_text, HasSubstr("dry run"));
  const auto request = server_.service().recorded().apply;
  EXPECT_TRUE(request.dry_run());
  EXPECT_TRUE(request.prune());
  EXPECT_EQ(request.config().teams(0).monthly_budget_micro_usd().value(), 12'340'000);

  json::object applied = Json({"apply", "-f", file}).as_object();
  EXPECT_EQ(applied.at("config_version"), 5);
  EXPECT_EQ(applied.at("changes").as_array().size(), 1u);

  {
    std::ofstream out(file);
    out << "teams:\n  - name: search\n    budget: 5\n";
  }
  GwctlResult typo = Run({"apply", "-f", file});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_THAT(typo.stderr_text, HasSubstr("teams[0].budget"));

  {
    std::ofstream out(file);
    out << "routes:\n  - task: chat\n    primary: missing\n";
  }
  GwctlResult refused = Run({"apply", "-f", file});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.stderr_text, "error: route 'chat': primary model 'missing' does not exist\n");
  std::remove(file.c_str());
}

TEST_F(GwctlFakeServerTest, ExportPrintsYamlThatReadsBackToTheSameConfig) {
  cfg::GatewayConfig config;
  cfg::Team* team = config.add_teams();
  team->set_name("search");
  team->set_tier(cfg::TIER_PREMIUM);
  team->mutable_rpm()->set_value(120);
  team->mutable_monthly_budget_micro_usd()->set_value(250'750'000);
  // gwctl writes enum defaults explicitly (tier, guardrail level), as a stored team has them.
  team->set_guardrail_level(cfg::GUARDRAIL_LEVEL_STANDARD);
  cfg::ModelPrice* price = config.add_prices();
  price->set_model("gpt-4o");
  price->set_input_micro_usd_per_mtok(2'500'000);
  price->set_cached_input_micro_usd_per_mtok(1'250'000);
  price->set_output_micro_usd_per_mtok(10'000'000);
  server_.service().set_config(config);
  const GwctlResult result = Run({"export"});
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_THAT(result.stdout_text, HasSubstr("monthly_budget_usd: \"250.75\""));
  absl::StatusOr<cfg::GatewayConfig> reparsed = gw::cli::ParseGatewayYaml(result.stdout_text);
  ASSERT_TRUE(reparsed.ok()) << reparsed.status();
  EXPECT_EQ(reparsed->SerializeAsString(), config.SerializeAsString());
}

TEST_F(GwctlFakeServerTest, StatusJsonHasTheContractShape) {
  json::object status = Json({"status"}).as_object();
  EXPECT_EQ(status.at("config_version").as_int64(), 9'000'000'000);
  const json::object worker = status.at("workers").as_array().at(0).as_object();
  EXPECT_EQ(worker.at("worker_id"), "worker-1");
  EXPECT_EQ(worker.at("connected"), true);
  EXPECT_EQ(worker.at("connected_since"), "2027-01-15T08:00:00Z");
  EXPECT_EQ(worker.at("last_nack_message"), "");
  const GwctlResult table = Run({"status"});
  EXPECT_THAT(table.stdout_text, HasSubstr("config version: 9000000000"));
  EXPECT_THAT(table.stdout_text, HasSubstr("worker-1"));
}

}  // namespace
}  // namespace gw::testing
