// gwctl: the gateway's admin CLI over the control plane's Admin gRPC API.
// Exit codes: 0 success, 1 refused by the server (or it is unreachable), 2 usage error.
#include <string>

#include "CLI/CLI.hpp"
#include "cli/command_context.h"
#include "cli/commands/commands.h"

int main(int argc, char** argv) {
  using gw::cli::CommandContext;
  CommandContext ctx;
  CLI::App app{"gwctl: administer the AI gateway through its control plane", "gwctl"};
  // Subcommands created below inherit this: global flags may follow the subcommand.
  app.fallthrough();
  app.require_subcommand(1);
  app.footer(
      "Global flags may also follow the subcommand. Exit codes: 0 success, 1 refused by the "
      "server (or it cannot be reached), 2 usage error.");
  app.add_option("--server", ctx.options().server, "Control plane address host:port")
      ->envname("GWCTL_SERVER")
      ->capture_default_str();
  // No default shown and never echoed: the token is a secret.
  app.add_option("--token", ctx.options().token, "Admin token (sent as a bearer token)")
      ->envname("GWCTL_TOKEN");
  app.add_option("-o,--output", ctx.options().output, "Output format")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();

  gw::cli::AddTeamCommands(app, ctx);
  gw::cli::AddKeyCommands(app, ctx);
  gw::cli::AddProviderCommands(app, ctx);
  gw::cli::AddModelCommands(app, ctx);
  gw::cli::AddRouteCommands(app, ctx);
  gw::cli::AddPricingCommands(app, ctx);
  gw::cli::AddConfigCommands(app, ctx);
  gw::cli::AddStatusCommand(app, ctx);
  gw::cli::AddUsageCommands(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and version print and succeed; every real parse error is a usage error.
    const int code = app.exit(e);
    return code == 0 ? gw::cli::kExitOk : gw::cli::kExitUsage;
  }
  return ctx.Run();
}
