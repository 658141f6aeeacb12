// gwctl team create|get|list|update|delete.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/command_context.h"
#include "cli/commands/commands.h"
#include "cli/config_yaml.h"
#include "cli/flag_validators.h"
#include "cli/resource_json.h"
#include "common/enum_names.h"
#include "common/money.h"
#include "common/tiers.h"
#include "google/protobuf/empty.pb.h"

namespace gw::cli {
namespace {

namespace adminpb = gateway::admin::v1;
namespace cfg = gateway::config::v1;
using Stub = AdminClient::Stub;

struct TeamFlags {
  std::string name;
  std::string tier;
  std::string rpm;
  std::string tpm;
  std::string max_concurrent;
  std::string budget_monthly_usd;
  std::vector<std::string> allowed_models;
  std::string max_tokens;
  std::string guardrail_level;
  std::vector<std::pair<std::string, CLI::Option*>> given;  // FieldMask path -> option

  bool Given(const std::string& path) const {
    for (const auto& [p, option] : given) {
      if (p == path) return option->count() > 0;
    }
    return false;
  }
};

void AddTeamFlags(CLI::App* sub, TeamFlags& flags) {
  sub->add_option("name", flags.name, "Team name")->required();
  auto add = [&](const std::string& path, CLI::Option* option) {
    flags.given.emplace_back(path, option);
  };
  add("tier", sub->add_option("--tier", flags.tier, "free|standard|premium|enterprise")
                  ->check(TierValidator()));
  add("rpm", sub->add_option("--rpm", flags.rpm, "Requests per minute (none: the tier's)")
                 ->check(NonNegativeIntegerOrNone()));
  add("tpm", sub->add_option("--tpm", flags.tpm, "Tokens per minute (none: the tier's)")
                 ->check(NonNegativeIntegerOrNone()));
  add("max_concurrent", sub->add_option("--max-concurrent", flags.max_concurrent,
                                        "Concurrent requests (none: the tier's)")
                            ->check(NonNegativeIntegerOrNone()));
  add("monthly_budget_micro_usd",
      sub->add_option("--budget-monthly-usd", flags.budget_monthly_usd,
                      "Monthly budget in USD, e.g. 100.00 (none: no budget)")
          ->check(UsdAmountOrNone()));
  add("allowed_models",
      sub->add_option("--allowed-models", flags.allowed_models,
                      "Comma-separated public model names (empty string: every model)")
          ->delimiter(','));
  add("max_tokens_per_request", sub->add_option("--max-tokens", flags.max_tokens,
                                                "Cap on max_tokens per request (none: no cap)")
                                    ->check(NonNegativeIntegerOrNone()));
  add("guardrail_level",
      sub->add_option("--guardrail-level", flags.guardrail_level, "standard|strict")
          ->check(GuardrailLevelValidator()));
}

// Sets a wrapper field from "N" or leaves it unset for "none".
void SetOptionalInt(const std::string& text, cfg::Team& team,
                    google::protobuf::Int64Value* (cfg::Team::*mutator)(),
                    void (cfg::Team::*clear)()) {
  if (text == kNone) {
    (team.*clear)();
    return;
  }
  int64_t value = 0;
  (void)absl::SimpleAtoi(text, &value);  // Validated by the flag's check.
  (team.*mutator)()->set_value(value);
}

// Fills the fields whose flags were given; `mask` receives exactly their paths.
cfg::Team TeamFromFlags(const TeamFlags& flags, google::protobuf::FieldMask* mask) {
  cfg::Team team;
  team.set_name(flags.name);
  auto given = [&](const std::string& path) {
    const bool is_given = flags.Given(path);
    if (is_given && mask != nullptr) mask->add_paths(path);
    return is_given;
  };
  if (given("tier")) team.set_tier(*ParseTier(flags.tier));
  if (given("rpm")) {
    SetOptionalInt(flags.rpm, team, &cfg::Team::mutable_rpm, &cfg::Team::clear_rpm);
  }
  if (given("tpm")) {
    SetOptionalInt(flags.tpm, team, &cfg::Team::mutable_tpm, &cfg::Team::clear_tpm);
  }
  if (given("max_concurrent")) {
    SetOptionalInt(flags.max_concurrent, team, &cfg::Team::mutable_max_concurrent,
                   &cfg::Team::clear_max_concurrent);
  }
  if (given("max_tokens_per_request")) {
    SetOptionalInt(flags.max_tokens, team, &cfg::Team::mutable_max_tokens_per_request,
                   &cfg::Team::clear_max_tokens_per_request);
  }
  if (given("monthly_budget_micro_usd") && flags.budget_monthly_usd != kNone) {
    team.mutable_monthly_budget_micro_usd()->set_value(*ParseUsdToMicro(flags.budget_monthly_usd));
  }
  if (given("allowed_models")) {
    for (const std::string& model : flags.allowed_models) {
      if (!model.empty()) team.add_allowed_models(model);
    }
  }
  if (given("guardrail_level"))
    team.set_guardrail_level(*ParseGuardrailLevel(flags.guardrail_level));
  return team;
}

// "60" when the team sets it, "60 (tier)" when the tier preset applies.
std::string LimitText(int64_t effective, bool set) {
  return set ? absl::StrCat(effective) : absl::StrCat(effective, " (tier)");
}

std::string ModelsText(const google::protobuf::RepeatedPtrField<std::string>& models) {
  return models.empty() ? "all" : absl::StrJoin(models, ",");
}

std::string BudgetText(const cfg::Team& team) {
  if (!team.has_monthly_budget_micro_usd()) return "-";
  return absl::StrCat("$", FormatUsdCompact(team.monthly_budget_micro_usd().value()));
}

std::string MaxTokensText(const cfg::Team& team) {
  return team.has_max_tokens_per_request() ? absl::StrCat(team.max_tokens_per_request().value())
                                           : "-";
}

void PrintTeam(const CommandContext& ctx, const cfg::Team& team) {
  if (ctx.json()) {
    ctx.Print(JsonToText(TeamJson(team)));
    return;
  }
  const TeamLimits limits = EffectiveLimits(team);
  ctx.Print(
      RenderFields({{"name", team.name()},
                    {"tier", TierName(team.tier())},
                    {"rpm", LimitText(limits.rpm, team.has_rpm())},
                    {"tpm", LimitText(limits.tpm, team.has_tpm())},
                    {"max concurrent", LimitText(limits.max_concurrent, team.has_max_concurrent())},
                    {"max tokens/request", MaxTokensText(team)},
                    {"monthly budget", BudgetText(team)},
                    {"allowed models", ModelsText(team.allowed_models())},
                    {"guardrail level", GuardrailLevelName(team.guardrail_level())}}));
}

void PrintTeams(const CommandContext& ctx, const adminpb::ListTeamsResponse& response) {
  if (ctx.json()) {
    ctx.Print(JsonToText(ListJson(response.teams(), TeamJson)));
    return;
  }
  Table table({"NAME", "TIER", "RPM", "TPM", "CONCURRENT", "MAX_TOKENS", "BUDGET/MONTH",
               "GUARDRAIL", "MODELS"});
  for (const cfg::Team& team : response.teams()) {
    const TeamLimits limits = EffectiveLimits(team);
    table.AddRow({team.name(), TierName(team.tier()), LimitText(limits.rpm, team.has_rpm()),
                  LimitText(limits.tpm, team.has_tpm()),
                  LimitText(limits.max_concurrent, team.has_max_concurrent()), MaxTokensText(team),
                  BudgetText(team), GuardrailLevelName(team.guardrail_level()),
                  ModelsText(team.allowed_models())});
  }
  ctx.Print(table.Render());
}

}  // namespace

void AddTeamCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* team = app.add_subcommand("team", "Manage teams (limits, budgets, models)");
  team->require_subcommand(1);

  auto create_flags = std::make_shared<TeamFlags>();
  CLI::App* create = team->add_subcommand("create", "Create a team (tier standard by default)");
  AddTeamFlags(create, *create_flags);
  create->callback([&ctx, create_flags] {
    ctx.SetAction([&ctx, create_flags] {
      adminpb::CreateTeamRequest request;
      *request.mutable_team() = TeamFromFlags(*create_flags, nullptr);
      // Defaults written explicitly, as `apply` reads an omitted tier or level: then a created
      // team and its exported YAML compare equal.
      if (!create_flags->Given("tier")) request.mutable_team()->set_tier(cfg::TIER_STANDARD);
      if (!create_flags->Given("guardrail_level")) {
        request.mutable_team()->set_guardrail_level(cfg::GUARDRAIL_LEVEL_STANDARD);
      }
      cfg::Team created;
      if (auto s = ctx.client().Call("CreateTeam", &Stub::CreateTeam, request, &created); !s.ok()) {
        return ctx.Refused(s);
      }
      PrintTeam(ctx, created);
      return kExitOk;
    });
  });

  auto update_flags = std::make_shared<TeamFlags>();
  CLI::App* update = team->add_subcommand("update", "Change only the given values of a team");
  AddTeamFlags(update, *update_flags);
  update->callback([&ctx, update_flags] {
    ctx.SetAction([&ctx, update_flags] {
      adminpb::UpdateTeamRequest request;
      *request.mutable_team() = TeamFromFlags(*update_flags, request.mutable_update_mask());
      if (request.update_mask().paths().empty()) {
        return ctx.UsageError("team update: give at least one value to change (see --help)");
      }
      cfg::Team updated;
      if (auto s = ctx.client().Call("UpdateTeam", &Stub::UpdateTeam, request, &updated); !s.ok()) {
        return ctx.Refused(s);
      }
      PrintTeam(ctx, updated);
      return kExitOk;
    });
  });

  auto get_name = std::make_shared<std::string>();
  CLI::App* get = team->add_subcommand("get", "Show one team with its effective limits");
  get->add_option("name", *get_name, "Team name")->required();
  get->callback([&ctx, get_name] {
    ctx.SetAction([&ctx, get_name] {
      adminpb::GetTeamRequest request;
      request.set_name(*get_name);
      cfg::Team team_found;
      if (auto s = ctx.client().Call("GetTeam", &Stub::GetTeam, request, &team_found); !s.ok()) {
        return ctx.Refused(s);
      }
      PrintTeam(ctx, team_found);
      return kExitOk;
    });
  });

  CLI::App* list = team->add_subcommand("list", "List teams");
  list->callback([&ctx] {
    ctx.SetAction([&ctx] {
      adminpb::ListTeamsResponse response;
      if (auto s = ctx.client().Call("ListTeams", &Stub::ListTeams, adminpb::ListTeamsRequest(),
                                     &response);
          !s.ok()) {
        return ctx.Refused(s);
      }
      PrintTeams(ctx, response);
      return kExitOk;
    });
  });

  auto delete_name = std::make_shared<std::string>();
  CLI::App* remove = team->add_subcommand("delete", "Delete a team and its keys");
  remove->add_option("name", *delete_name, "Team name")->required();
  remove->callback([&ctx, delete_name] {
    ctx.SetAction([&ctx, delete_name] {
      adminpb::DeleteTeamRequest request;
      request.set_name(*delete_name);
      google::protobuf::Empty empty;
      if (auto s = ctx.client().Call("DeleteTeam", &Stub::DeleteTeam, request, &empty); !s.ok()) {
        return ctx.Refused(s);
      }
      ctx.Print(ctx.json() ? JsonToText(boost::json::object{{"deleted", *delete_name}})
                           : absl::StrCat("deleted team ", *delete_name, "\n"));
      return kExitOk;
    });
  });
}

}  // namespace gw::cli
