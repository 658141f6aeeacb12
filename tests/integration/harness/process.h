// A child process for integration tests (a control plane, a worker, a fake provider) whose
// stdout and stderr go to a log file, so output is never lost and never blocks the child.
// The destructor SIGKILLs and reaps it if it still runs; a failing test gets its log tail.
//   GW_ASSERT_OK_AND_ASSIGN(Process cp, Process::Start({BinaryPath("gw-control-plane"),
//                                                     "--listen", "127.0.0.1:0", ...}));
//   GW_ASSERT_OK_AND_ASSIGN(std::string address, cp.WaitForListen("grpc", absl::Seconds(10)));
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tests/integration/harness/spawn.h"
#include "tests/integration/harness/temp_dir.h"

namespace gw::testing {

class Process {
 public:
  // Starts argv (argv[0] looked up in PATH when it has no slash) with `env` added to this
  // process's environment, stdin from /dev/null, stdout and stderr appended to one log file.
  static absl::StatusOr<Process> Start(std::vector<std::string> argv, EnvVars env = {});

  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  // Waits for the log line "listening <kind> on <host:port>" (CONTRACTS.md; kind is "grpc" or
  // "http") and returns host:port. FAILED_PRECONDITION with the log tail when the process exits
  // first, DEADLINE_EXCEEDED with the log tail on timeout.
  absl::StatusOr<std::string> WaitForListen(absl::string_view kind, absl::Duration timeout);

  // Sends `signo` to the process (not its children). FAILED_PRECONDITION once it has exited.
  absl::Status Signal(int signo);

  // Waits for the process to exit and returns its exit code (128 + N when killed by signal N).
  // DEADLINE_EXCEEDED when it still runs after `timeout`; the process is left running.
  absl::StatusOr<int> Wait(absl::Duration timeout);

  // True until the process has exited (reaps it when it has).
  bool Running();

  // Everything the process wrote so far, and its last `max_bytes`.
  std::string Log() const;
  std::string LogTail(size_t max_bytes = 4096) const;
  const std::string& log_path() const { return log_path_; }

  pid_t pid() const { return pid_; }

 private:
  Process(pid_t pid, TempDir log_dir, std::string log_path, std::string name)
      : pid_(pid),
        log_dir_(std::move(log_dir)),
        log_path_(std::move(log_path)),
        name_(std::move(name)) {}
  // Reaps without blocking; returns true when the process has exited.
  bool TryReap();
  void KillAndReap();

  pid_t pid_ = -1;  // -1 once moved from.
  std::optional<int> exit_code_;
  TempDir log_dir_;
  std::string log_path_;
  std::string name_;  // argv[0]'s basename, for messages.
};

}  // namespace gw::testing
