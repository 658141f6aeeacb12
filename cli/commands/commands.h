// Registration of gwctl's command groups; each lives in its own file under cli/commands/.
//   AddTeamCommands(app, ctx);  // adds "team create|get|list|update|delete"
#pragma once

#include "CLI/CLI.hpp"
#include "cli/command_context.h"

namespace gw::cli {

void AddTeamCommands(CLI::App& app, CommandContext& ctx);
void AddKeyCommands(CLI::App& app, CommandContext& ctx);
void AddProviderCommands(CLI::App& app, CommandContext& ctx);
void AddModelCommands(CLI::App& app, CommandContext& ctx);
void AddRouteCommands(CLI::App& app, CommandContext& ctx);
void AddPricingCommands(CLI::App& app, CommandContext& ctx);
void AddConfigCommands(CLI::App& app, CommandContext& ctx);  // apply, export
void AddStatusCommand(CLI::App& app, CommandContext& ctx);
void AddUsageCommands(CLI::App& app, CommandContext& ctx);  // usage, spend

}  // namespace gw::cli
