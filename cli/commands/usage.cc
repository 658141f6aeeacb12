// gwctl usage (latest raw usage records) and gwctl spend (aggregated cost).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/command_context.h"
#include "cli/commands/commands.h"
#include "cli/flag_validators.h"
#include "cli/resource_json.h"
#include "common/money.h"

namespace gw::cli {
namespace {

namespace adminpb = gateway::admin::v1;
using Stub = AdminClient::Stub;

struct UsageFlags {
  int32_t limit = 20;
  std::string team;
};

struct SpendFlags {
  std::string team;
  std::vector<std::string> by;
  std::string from;
  std::string to;
};

adminpb::SpendGrouping GroupingOf(const std::string& name) {
  if (name == "team") return adminpb::SPEND_GROUPING_TEAM;
  if (name == "key") return adminpb::SPEND_GROUPING_KEY;
  if (name == "model") return adminpb::SPEND_GROUPING_MODEL;
  return adminpb::SPEND_GROUPING_DAY;
}

bool Has(const std::vector<adminpb::SpendGrouping>& group_by, adminpb::SpendGrouping g) {
  for (adminpb::SpendGrouping x : group_by) {
    if (x == g) return true;
  }
  return false;
}

std::string LatencyText(int64_t micros) {
  return absl::StrCat(micros / 1000, ".", (micros % 1000) / 100, "ms");
}

}  // namespace

void AddUsageCommands(CLI::App& app, CommandContext& ctx) {
  auto usage_flags = std::make_shared<UsageFlags>();
  CLI::App* usage = app.add_subcommand("usage", "List the latest usage records, newest first");
  usage->add_option("-n,--limit", usage_flags->limit, "How many records (default 20)")
      ->check(CLI::Range(1, 100000));
  usage->add_option("--team", usage_flags->team, "Only this team's records");
  usage->callback([&ctx, usage_flags] {
    ctx.SetAction([&ctx, usage_flags] {
      adminpb::ListUsageRequest request;
      request.set_limit(usage_flags->limit);
      request.set_team(usage_flags->team);
      adminpb::ListUsageResponse response;
      if (auto s = ctx.client().Call("ListUsage", &Stub::ListUsage, request, &response); !s.ok()) {
        return ctx.Refused(s);
      }
      if (ctx.json()) {
        ctx.Print(JsonToText(ListJson(response.records(), UsageRecordJson)));
        return kExitOk;
      }
      Table table({"TIME", "TEAM", "KEY", "MODEL", "PROVIDER", "STATUS", "INPUT", "CACHED",
                   "OUTPUT", "COST_USD", "LATENCY"});
      for (const auto& r : response.records()) {
        std::string status = absl::StrCat(r.status_code());
        if (!r.error_code().empty()) absl::StrAppend(&status, " ", r.error_code());
        table.AddRow({r.has_timestamp() ? TimestampText(r.timestamp()) : "-", r.team(), r.key_id(),
                      r.model(), r.provider(), status, absl::StrCat(r.input_tokens()),
                      absl::StrCat(r.cached_input_tokens()), absl::StrCat(r.output_tokens()),
                      FormatPicoUsd(r.cost_pico_usd()), LatencyText(r.latency_us())});
      }
      ctx.Print(table.Render());
      return kExitOk;
    });
  });

  auto spend_flags = std::make_shared<SpendFlags>();
  CLI::App* spend = app.add_subcommand(
      "spend", "Aggregate spend (default: per team over the current UTC calendar month)");
  spend->add_option("--team", spend_flags->team, "Only this team");
  spend
      ->add_option("--by", spend_flags->by,
                   "Group by team, key, model and/or day (repeat or comma-separate; default team)")
      ->delimiter(',')
      ->check(CLI::IsMember({"team", "key", "model", "day"}));
  CLI::Option* from = spend->add_option("--from", spend_flags->from, "First day (UTC), inclusive")
                          ->check(DateValidator());
  CLI::Option* to = spend->add_option("--to", spend_flags->to, "Last day (UTC), inclusive")
                        ->check(DateValidator());
  from->needs(to);
  to->needs(from);
  spend->callback([&ctx, spend_flags] {
    ctx.SetAction([&ctx, spend_flags] {
      std::vector<adminpb::SpendGrouping> group_by;
      for (const std::string& name : spend_flags->by) {
        const adminpb::SpendGrouping grouping = GroupingOf(name);
        if (!Has(group_by, grouping)) group_by.push_back(grouping);
      }
      if (group_by.empty()) group_by.push_back(adminpb::SPEND_GROUPING_TEAM);
      adminpb::GetSpendRequest request;
      request.set_team(spend_flags->team);
      for (adminpb::SpendGrouping grouping : group_by) request.add_group_by(grouping);
      request.set_from(spend_flags->from);
      request.set_to(spend_flags->to);
      adminpb::GetSpendResponse response;
      if (auto s = ctx.client().Call("GetSpend", &Stub::GetSpend, request, &response); !s.ok()) {
        return ctx.Refused(s);
      }
      if (ctx.json()) {
        ctx.Print(JsonToText(ListJson(response.rows(), [&](const adminpb::SpendRow& row) {
          return SpendRowJson(row, group_by);
        })));
        return kExitOk;
      }
      std::vector<std::string> headers;
      if (Has(group_by, adminpb::SPEND_GROUPING_TEAM)) headers.push_back("TEAM");
      if (Has(group_by, adminpb::SPEND_GROUPING_KEY)) headers.push_back("KEY");
      if (Has(group_by, adminpb::SPEND_GROUPING_MODEL)) headers.push_back("MODEL");
      if (Has(group_by, adminpb::SPEND_GROUPING_DAY)) headers.push_back("DAY");
      for (const char* h : {"REQUESTS", "FAILED", "INPUT", "CACHED", "OUTPUT", "COST_USD"}) {
        headers.push_back(h);
      }
      Table table(headers);
      for (const adminpb::SpendRow& row : response.rows()) {
        std::vector<std::string> cells;
        if (Has(group_by, adminpb::SPEND_GROUPING_TEAM)) cells.push_back(row.team());
        if (Has(group_by, adminpb::SPEND_GROUPING_KEY)) cells.push_back(row.key_id());
        if (Has(group_by, adminpb::SPEND_GROUPING_MODEL)) cells.push_back(row.model());
        if (Has(group_by, adminpb::SPEND_GROUPING_DAY)) cells.push_back(row.day());
        for (int64_t n : {row.requests(), row.failed_requests(), row.input_tokens(),
                          row.cached_input_tokens(), row.output_tokens()}) {
          cells.push_back(absl::StrCat(n));
        }
        cells.push_back(FormatPicoUsd(row.cost_pico_usd()));
        table.AddRow(std::move(cells));
      }
      ctx.Print(table.Render());
      return kExitOk;
    });
  });
}

}  // namespace gw::cli
