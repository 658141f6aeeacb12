// Runs a short-lived command (gwctl, a client script) to completion and captures its output.
//   GW_ASSERT_OK_AND_ASSIGN(CommandResult r, RunCommand({BinaryPath("gwctl"), "status"},
//                                                      absl::Seconds(10), {{"GWCTL_TOKEN", t}}));
//   EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/integration/harness/spawn.h"

namespace gw::testing {

struct CommandResult {
  int exit_code = -1;  // 128 + N when killed by signal N.
  std::string stdout_text;
  std::string stderr_text;
};

// Runs argv with `env` added to this process's environment and `stdin_text` on its stdin, and
// waits for it to exit. A command still running after `timeout` is killed (with its process
// group) and gives DEADLINE_EXCEEDED carrying what it printed. A command that cannot be executed
// gives FAILED_PRECONDITION.
absl::StatusOr<CommandResult> RunCommand(std::vector<std::string> argv, absl::Duration timeout,
                                         EnvVars env = {}, std::string stdin_text = "");

}  // namespace gw::testing
