#include "tests/integration/harness/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace gw::testing {

int ExitCodeFromWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

namespace internal {
namespace {

std::vector<std::string> BuildEnvironment(const EnvVars& extras) {
  absl::flat_hash_set<std::string> overridden;
  for (const auto& [name, value] : extras) overridden.insert(name);
  std::vector<std::string> entries;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const char* equals = std::strchr(*entry, '=');
    if (equals == nullptr) continue;
    if (overridden.contains(std::string(*entry, static_cast<size_t>(equals - *entry)))) continue;
    entries.emplace_back(*entry);
  }
  for (const auto& [name, value] : extras) entries.push_back(absl::StrCat(name, "=", value));
  return entries;
}

std::vector<char*> CStringArray(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// Only async-signal-safe calls from here on: the test process may run gRPC threads.
[[noreturn]] void ExecChild(pid_t parent, const ChildFds& fds, char* const* argv, char* const* envp,
                            int error_fd) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);  // The parent died before prctl took effect.
  const int targets[] = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO};
  const int sources[] = {fds.stdin_fd, fds.stdout_fd, fds.stderr_fd};
  for (int i = 0; i < 3; ++i) {
    if (sources[i] == targets[i]) {
      fcntl(targets[i], F_SETFD, 0);
    } else if (dup2(sources[i], targets[i]) < 0) {
      const int error = errno;
      [[maybe_unused]] ssize_t ignored = write(error_fd, &error, sizeof error);
      _exit(127);
    }
  }
  // A test process (or gRPC inside it) may ignore or block signals; a server under test must
  // see SIGTERM, SIGINT and SIGPIPE as it would when started from a shell.
  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, nullptr);
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int signo : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2}) {
    sigaction(signo, &default_action, nullptr);
  }
  execvpe(argv[0], argv, envp);
  const int error = errno;
  [[maybe_unused]] ssize_t ignored = write(error_fd, &error, sizeof error);
  _exit(127);
}

}  // namespace

absl::StatusOr<pid_t> SpawnChild(const std::vector<std::string>& argv, const EnvVars& env,
                                 const ChildFds& fds) {
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");
  std::vector<std::string> argv_copy = argv;
  std::vector<std::string> env_entries = BuildEnvironment(env);
  std::vector<char*> argv_ptrs = CStringArray(argv_copy);
  std::vector<char*> env_ptrs = CStringArray(env_entries);

  // The child reports a failed exec through this pipe; a successful exec closes it.
  int error_pipe[2];
  if (pipe2(error_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", std::strerror(errno)));
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    const int error = errno;
    close(error_pipe[0]);
    close(error_pipe[1]);
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(error)));
  }
  if (pid == 0) ExecChild(parent, fds, argv_ptrs.data(), env_ptrs.data(), error_pipe[1]);

  close(error_pipe[1]);
  setpgid(pid, pid);  // Also in the parent, so the group exists before anyone signals it.
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(error_pipe[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  close(error_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return absl::FailedPreconditionError(
        absl::StrCat("cannot execute ", argv[0], ": ", std::strerror(child_errno)));
  }
  return pid;
}

}  // namespace internal
}  // namespace gw::testing
