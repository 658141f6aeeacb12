// A child process for tests that start the real binaries: stderr goes to a file the test can
// search, the process is signalled and reaped by id, and killed if the test forgets.
//   ChildProcess worker({GW_BIN_DIR "/gw-data-plane", "--http-listen", "127.0.0.1:0"}, log);
//   std::string line = worker.WaitForLogLine("listening http on", absl::Seconds(10));
//   worker.Signal(SIGTERM);  std::optional<int> code = worker.Wait(absl::Seconds(10));
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

extern char** environ;

namespace gw::testing {

class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, std::string stderr_path)
      : stderr_path_(std::move(stderr_path)) {
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~ChildProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0; }

  std::string Log() const {
    std::ifstream in(stderr_path_);
    std::stringstream contents;
    contents << in.rdbuf();
    return contents.str();
  }

  // The first log line containing `needle`, or "" at the deadline.
  std::string WaitForLogLine(const std::string& needle, absl::Duration timeout) const {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      std::istringstream lines(Log());
      for (std::string line; std::getline(lines, line);) {
        if (line.find(needle) != std::string::npos) return line;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return "";
  }

  void Signal(int signal_number) const {
    if (pid_ > 0) kill(pid_, signal_number);
  }

  // The exit code, or nullopt when it did not exit normally in time.
  std::optional<int> Wait(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (pid_ > 0 && absl::Now() < deadline) {
      int status = 0;
      const pid_t reaped = waitpid(pid_, &status, WNOHANG);
      if (reaped == pid_) {
        pid_ = -1;
        if (WIFEXITED(status)) return WEXITSTATUS(status);
        return std::nullopt;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
  }

 private:
  std::string stderr_path_;
  pid_t pid_ = -1;
};

}  // namespace gw::testing
