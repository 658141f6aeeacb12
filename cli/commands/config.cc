// gwctl apply -f FILE [--prune] [--dry-run] and gwctl export.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/command_context.h"
#include "cli/commands/commands.h"
#include "cli/config_yaml.h"
#include "cli/read_file.h"
#include "cli/resource_json.h"

namespace gw::cli {
namespace {

namespace adminpb = gateway::admin::v1;
namespace cfg = gateway::config::v1;
using Stub = AdminClient::Stub;

struct ApplyFlags {
  std::string file;
  bool prune = false;
  bool dry_run = false;
};

}  // namespace

void AddConfigCommands(CLI::App& app, CommandContext& ctx) {
  auto flags = std::make_shared<ApplyFlags>();
  CLI::App* apply = app.add_subcommand(
      "apply", "Make the configuration match a gateway YAML file (see docs/gateway-yaml.md)");
  apply->add_option("-f,--file", flags->file, "The gateway YAML file (- for stdin)")->required();
  apply->add_flag("--prune", flags->prune, "Also delete resources absent from the file");
  apply->add_flag("--dry-run", flags->dry_run, "Validate and show the changes without writing");
  apply->callback([&ctx, flags] {
    ctx.SetAction([&ctx, flags] {
      absl::StatusOr<std::string> text = ReadInputFile(flags->file);
      if (!text.ok()) return ctx.UsageError(text.status().message());
      absl::StatusOr<cfg::GatewayConfig> config = ParseGatewayYaml(*text);
      if (!config.ok()) {
        return ctx.UsageError(absl::StrCat(flags->file, ": ", config.status().message()));
      }
      adminpb::ApplyRequest request;
      *request.mutable_config() = *std::move(config);
      request.set_prune(flags->prune);
      request.set_dry_run(flags->dry_run);
      adminpb::ApplyResponse response;
      if (auto s = ctx.client().Call("Apply", &Stub::Apply, request, &response); !s.ok()) {
        return ctx.Refused(s);
      }
      if (ctx.json()) {
        ctx.Print(JsonToText(ApplyJson(response)));
        return kExitOk;
      }
      std::string out;
      for (const std::string& change : response.changes()) absl::StrAppend(&out, change, "\n");
      if (response.changes().empty()) out += "no changes\n";
      absl::StrAppend(&out, "config version ", response.config_version(),
                      flags->dry_run ? " (dry run: nothing written)\n" : "\n");
      ctx.Print(out);
      return kExitOk;
    });
  });

  CLI::App* export_command =
      app.add_subcommand("export", "Print the configuration as gateway YAML (keys excluded)");
  export_command->callback([&ctx] {
    ctx.SetAction([&ctx] {
      cfg::GatewayConfig config;
      if (auto s = ctx.client().Call("Export", &Stub::Export, adminpb::ExportRequest(), &config);
          !s.ok()) {
        return ctx.Refused(s);
      }
      absl::StatusOr<std::string> yaml = EmitGatewayYaml(config);
      if (!yaml.ok()) return ctx.Refused(yaml.status());
      ctx.Print(*yaml);
      return kExitOk;
    });
  });
}

}  // namespace gw::cli
