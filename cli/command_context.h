// What every gwctl command shares: the global flags, the Admin client, output and exit codes.
//   ctx.SetAction([&] { return RunTeamList(ctx); });  // chosen while parsing, run after
#pragma once

#include <functional>
#include <iostream>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cli/admin_client.h"
#include "cli/output.h"

namespace gw::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;  // The server (or the network to it) said no.
inline constexpr int kExitUsage = 2;    // Bad flags or bad input files; nothing was sent.

struct GlobalOptions {
  std::string server = "127.0.0.1:7070";
  std::string token;
  std::string output = "table";
};

class CommandContext {
 public:
  GlobalOptions& options() { return options_; }
  OutputFormat format() const {
    return options_.output == "json" ? OutputFormat::kJson : OutputFormat::kTable;
  }
  bool json() const { return format() == OutputFormat::kJson; }

  // Connects on first use, after the flags are parsed.
  AdminClient& client();

  // The command the parse selected; Run() calls it once parsing has finished.
  void SetAction(std::function<int()> action) { action_ = std::move(action); }
  int Run();

  // Each prints exactly one "error: ..." line on stderr and returns the exit code.
  int Refused(const absl::Status& status) const;
  int UsageError(absl::string_view message) const;

  void Print(absl::string_view text) const {
    std::cout << std::string_view(text.data(), text.size()) << std::flush;
  }

 private:
  GlobalOptions options_;
  std::unique_ptr<AdminClient> client_;
  std::function<int()> action_;
};

}  // namespace gw::cli
