#include "tests/integration/harness/run_command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"

namespace gw::testing {
namespace {

// Owns one fd; Reset closes it early (EOF for the other side).
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  void Set(int fd) {
    Reset();
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// Reads what is available into `out`; returns false at EOF or on error.
bool Drain(int fd, std::string* out) {
  char buffer[16384];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n > 0) {
      out->append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;
  }
}

std::string Truncated(const std::string& text) {
  constexpr size_t kMax = 2000;
  return text.size() <= kMax ? text : absl::StrCat(text.substr(0, kMax), "...");
}

}  // namespace

absl::StatusOr<CommandResult> RunCommand(std::vector<std::string> argv, absl::Duration timeout,
                                         EnvVars env, std::string stdin_text) {
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");
  int out_pipe[2], err_pipe[2], in_pair[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return Errno("pipe2");
  Fd out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (pipe2(err_pipe, O_CLOEXEC) != 0) return Errno("pipe2");
  Fd err_read(err_pipe[0]), err_write(err_pipe[1]);
  // A socket rather than a pipe for stdin: send(MSG_NOSIGNAL) cannot raise SIGPIPE in the test
  // process when the command exits without reading its input.
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) != 0) return Errno("socketpair");
  Fd in_write(in_pair[0]), in_read(in_pair[1]);

  absl::StatusOr<pid_t> spawned = internal::SpawnChild(
      argv, env,
      {.stdin_fd = in_read.get(), .stdout_fd = out_write.get(), .stderr_fd = err_write.get()});
  if (!spawned.ok()) return spawned.status();
  const pid_t pid = *spawned;
  in_read.Reset();
  out_write.Reset();
  err_write.Reset();
  for (int fd : {out_read.get(), err_read.get(), in_write.get()}) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  if (stdin_text.empty()) shutdown(in_write.get(), SHUT_WR);

  CommandResult result;
  size_t stdin_sent = 0;
  const absl::Time deadline = absl::Now() + timeout;
  bool timed_out = false;
  int wait_status = 0;
  bool reaped = false;
  while (true) {
    // Once the command has exited, everything it wrote is in the pipes: take it and stop, even
    // if a background child of it still holds the pipes open.
    if (waitpid(pid, &wait_status, WNOHANG) == pid) {
      reaped = true;
      if (out_read.get() >= 0) Drain(out_read.get(), &result.stdout_text);
      if (err_read.get() >= 0) Drain(err_read.get(), &result.stderr_text);
      break;
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      timed_out = true;
      break;
    }
    std::vector<pollfd> fds;
    if (out_read.get() >= 0) fds.push_back({out_read.get(), POLLIN, 0});
    if (err_read.get() >= 0) fds.push_back({err_read.get(), POLLIN, 0});
    if (in_write.get() >= 0 && stdin_sent < stdin_text.size()) {
      fds.push_back({in_write.get(), POLLOUT, 0});
    }
    // Exit is noticed by waitpid above, so wake up now and then even while output is quiet.
    const int wait_ms =
        fds.empty() ? 2
                    : static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 20));
    if (fds.empty()) {
      absl::SleepFor(absl::Milliseconds(wait_ms));
      continue;
    }
    const int ready = poll(fds.data(), fds.size(), wait_ms);
    if (ready < 0 && errno != EINTR) {
      absl::Status error = Errno("poll");
      kill(-pid, SIGKILL);
      while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
      }
      return error;
    }
    for (const pollfd& p : fds) {
      if (p.revents == 0) continue;
      if (p.fd == out_read.get() && !Drain(p.fd, &result.stdout_text)) out_read.Reset();
      if (p.fd == err_read.get() && !Drain(p.fd, &result.stderr_text)) err_read.Reset();
      if (p.fd == in_write.get()) {
        const ssize_t n = send(p.fd, stdin_text.data() + stdin_sent, stdin_text.size() - stdin_sent,
                               MSG_NOSIGNAL);
        if (n > 0) stdin_sent += static_cast<size_t>(n);
        if ((n < 0 && errno != EAGAIN && errno != EINTR) || stdin_sent == stdin_text.size()) {
          // Finished, or the command closed its stdin: either way nothing more goes in.
          shutdown(p.fd, SHUT_WR);
          stdin_sent = stdin_text.size();
        }
      }
    }
  }
  if (timed_out) {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
  }
  if (!reaped) {
    while (waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
    }
  }
  if (timed_out) {
    return absl::DeadlineExceededError(absl::StrCat(
        "`", absl::StrJoin(argv, " "), "` did not finish within ", absl::FormatDuration(timeout),
        "; stdout: ", Truncated(result.stdout_text), "; stderr: ", Truncated(result.stderr_text)));
  }
  result.exit_code = ExitCodeFromWaitStatus(wait_status);
  return result;
}

}  // namespace gw::testing
