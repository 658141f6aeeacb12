// gwctl route set|get|list|delete.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/command_context.h"
#include "cli/commands/commands.h"
#include "cli/flag_validators.h"
#include "cli/resource_json.h"
#include "common/enum_names.h"
#include "google/protobuf/empty.pb.h"

namespace gw::cli {
namespace {

namespace adminpb = gateway::admin::v1;
namespace cfg = gateway::config::v1;
using Stub = AdminClient::Stub;

std::string FallbacksText(const cfg::Route& route) {
  return route.fallbacks().empty() ? "-" : absl::StrJoin(route.fallbacks(), ",");
}

void PrintRoute(const CommandContext& ctx, const cfg::Route& route) {
  if (ctx.json()) {
    ctx.Print(JsonToText(RouteJson(route)));
    return;
  }
  ctx.Print(RenderFields({{"task", route.task()},
                          {"primary", route.primary()},
                          {"fallbacks", FallbacksText(route)},
                          {"strategy", RoutingStrategyName(route.strategy())}}));
}

struct SetFlags {
  std::string task;
  std::string primary;
  std::vector<std::string> fallbacks;
  std::string strategy = "fallback";
};

}  // namespace

void AddRouteCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* route = app.add_subcommand("route", "Manage the routing table");
  route->require_subcommand(1);

  auto flags = std::make_shared<SetFlags>();
  CLI::App* set = route->add_subcommand("set", "Create or replace the route of a task");
  set->add_option("task", flags->task, "Task name")->required();
  set->add_option("--primary", flags->primary, "Model tried first")->required();
  set->add_option("--fallback", flags->fallbacks, "Comma-separated models tried next, in order")
      ->delimiter(',');
  set->add_option("--strategy", flags->strategy,
                  "fallback|cost|quality|latency|load-balanced|capability|cascade")
      ->check(RoutingStrategyValidator());
  set->callback([&ctx, flags] {
    ctx.SetAction([&ctx, flags] {
      adminpb::SetRouteRequest request;
      cfg::Route* r = request.mutable_route();
      r->set_task(flags->task);
      r->set_primary(flags->primary);
      for (const std::string& fallback : flags->fallbacks) {
        if (!fallback.empty()) r->add_fallbacks(fallback);
      }
      r->set_strategy(*ParseRoutingStrategy(flags->strategy));
      cfg::Route stored;
      if (auto s = ctx.client().Call("SetRoute", &Stub::SetRoute, request, &stored); !s.ok()) {
        return ctx.Refused(s);
      }
      PrintRoute(ctx, stored);
      return kExitOk;
    });
  });

  auto get_task = std::make_shared<std::string>();
  CLI::App* get = route->add_subcommand("get", "Show the route of a task");
  get->add_option("task", *get_task, "Task name")->required();
  get->callback([&ctx, get_task] {
    ctx.SetAction([&ctx, get_task] {
      adminpb::GetRouteRequest request;
      request.set_task(*get_task);
      cfg::Route found;
      if (auto s = ctx.client().Call("GetRoute", &Stub::GetRoute, request, &found); !s.ok()) {
        return ctx.Refused(s);
      }
      PrintRoute(ctx, found);
      return kExitOk;
    });
  });

  CLI::App* list = route->add_subcommand("list", "List routes");
  list->callback([&ctx] {
    ctx.SetAction([&ctx] {
      adminpb::ListRoutesResponse response;
      if (auto s = ctx.client().Call("ListRoutes", &Stub::ListRoutes, adminpb::ListRoutesRequest(),
                                     &response);
          !s.ok()) {
        return ctx.Refused(s);
      }
      if (ctx.json()) {
        ctx.Print(JsonToText(ListJson(response.routes(), RouteJson)));
        return kExitOk;
      }
      Table table({"TASK", "PRIMARY", "FALLBACKS", "STRATEGY"});
      for (const cfg::Route& r : response.routes()) {
        table.AddRow({r.task(), r.primary(), FallbacksText(r), RoutingStrategyName(r.strategy())});
      }
      ctx.Print(table.Render());
      return kExitOk;
    });
  });

  auto delete_task = std::make_shared<std::string>();
  CLI::App* remove = route->add_subcommand("delete", "Delete the route of a task");
  remove->add_option("task", *delete_task, "Task name")->required();
  remove->callback([&ctx, delete_task] {
    ctx.SetAction([&ctx, delete_task] {
      adminpb::DeleteRouteRequest request;
      request.set_task(*delete_task);
      google::protobuf::Empty empty;
      if (auto s = ctx.client().Call("DeleteRoute", &Stub::DeleteRoute, request, &empty); !s.ok()) {
        return ctx.Refused(s);
      }
      ctx.Print(ctx.json() ? JsonToText(boost::json::object{{"deleted", *delete_task}})
                           : absl::StrCat("deleted route ", *delete_task, "\n"));
      return kExitOk;
    });
  });
}

}  // namespace gw::cli
