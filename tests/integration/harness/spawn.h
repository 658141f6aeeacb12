// Starting a child process for the test harness: fork/exec with chosen stdin/stdout/stderr, extra
// environment variables, its own process group, and death when the test process dies.
//   GW_ASSIGN_OR_RETURN(pid_t pid, SpawnChild({"/bin/sh", "-c", "echo hi"}, {}, fds));
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace gw::testing {

// Environment variables added to (or replacing those of) the test process's environment.
using EnvVars = std::vector<std::pair<std::string, std::string>>;

// Exit code of a reaped child as a shell reports it: the exit status, or 128 + the signal.
int ExitCodeFromWaitStatus(int wait_status);

namespace internal {

struct ChildFds {
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
};

// Starts argv[0] (looked up in PATH when it has no slash) in a new process group whose id is the
// returned pid. The child is SIGKILLed when the thread that spawned it exits, so that servers
// never outlive a test process killed by a ctest timeout. Fails when exec fails.
absl::StatusOr<pid_t> SpawnChild(const std::vector<std::string>& argv, const EnvVars& env,
                                 const ChildFds& fds);

}  // namespace internal
}  // namespace gw::testing
