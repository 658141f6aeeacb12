// gwctl status: the config version and every worker's applied version and last NACK.
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/command_context.h"
#include "cli/commands/commands.h"
#include "cli/resource_json.h"

namespace gw::cli {
namespace {

namespace adminpb = gateway::admin::v1;
using Stub = AdminClient::Stub;

std::string NackText(const adminpb::WorkerStatus& worker) {
  if (worker.last_nack_version() == 0 && worker.last_nack_message().empty()) return "-";
  return absl::StrCat("v", worker.last_nack_version(), ": ", worker.last_nack_message());
}

}  // namespace

void AddStatusCommand(CLI::App& app, CommandContext& ctx) {
  CLI::App* status = app.add_subcommand("status", "Show the config version and the workers");
  status->callback([&ctx] {
    ctx.SetAction([&ctx] {
      adminpb::GetStatusResponse response;
      if (auto s = ctx.client().Call("GetStatus", &Stub::GetStatus, adminpb::GetStatusRequest(),
                                     &response);
          !s.ok()) {
        return ctx.Refused(s);
      }
      if (ctx.json()) {
        ctx.Print(JsonToText(StatusJson(response)));
        return kExitOk;
      }
      std::string out = absl::StrCat("config version: ", response.config_version(), "\n");
      if (response.workers().empty()) {
        out += "workers: none\n";
        ctx.Print(out);
        return kExitOk;
      }
      Table table({"WORKER", "ADDRESS", "CONNECTED", "SINCE", "APPLIED", "LAST_SEEN", "LAST_NACK"});
      for (const adminpb::WorkerStatus& w : response.workers()) {
        table.AddRow({w.worker_id(), w.address(), w.connected() ? "yes" : "no",
                      w.has_connected_since() ? TimestampText(w.connected_since()) : "-",
                      absl::StrCat(w.applied_version()),
                      w.has_last_seen() ? TimestampText(w.last_seen()) : "-", NackText(w)});
      }
      ctx.Print(out + "\n" + table.Render());
      return kExitOk;
    });
  });
}

}  // namespace gw::cli
