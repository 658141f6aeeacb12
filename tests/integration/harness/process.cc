#include "tests/integration/harness/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/integration/harness/poll.h"

namespace gw::testing {
namespace {

// Closes an fd when the scope ends.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

bool IsAddressChar(char c) {
  return absl::ascii_isalnum(c) || c == '.' || c == ':' || c == '[' || c == ']' || c == '-' ||
         c == '%' || c == '_';
}

}  // namespace

absl::StatusOr<Process> Process::Start(std::vector<std::string> argv, EnvVars env) {
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");
  std::string name = argv[0].substr(argv[0].rfind('/') + 1);
  absl::StatusOr<TempDir> log_dir = TempDir::Create(absl::StrCat("gw-proc-", name));
  if (!log_dir.ok()) return log_dir.status();
  std::string log_path = log_dir->Path("output.log");

  ScopedFd log_fd(open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (log_fd.get() < 0) {
    return absl::InternalError(absl::StrCat("open ", log_path, ": ", std::strerror(errno)));
  }
  ScopedFd null_fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (null_fd.get() < 0) {
    return absl::InternalError(absl::StrCat("open /dev/null: ", std::strerror(errno)));
  }
  absl::StatusOr<pid_t> pid = internal::SpawnChild(
      argv, env, {.stdin_fd = null_fd.get(), .stdout_fd = log_fd.get(), .stderr_fd = log_fd.get()});
  if (!pid.ok()) return pid.status();
  return Process(*pid, *std::move(log_dir), std::move(log_path), std::move(name));
}

Process::Process(Process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      exit_code_(std::exchange(other.exit_code_, std::nullopt)),
      log_dir_(std::move(other.log_dir_)),
      log_path_(std::move(other.log_path_)),
      name_(std::move(other.name_)) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    KillAndReap();
    pid_ = std::exchange(other.pid_, -1);
    exit_code_ = std::exchange(other.exit_code_, std::nullopt);
    log_dir_ = std::move(other.log_dir_);
    log_path_ = std::move(other.log_path_);
    name_ = std::move(other.name_);
  }
  return *this;
}

Process::~Process() {
  if (pid_ < 0) return;
  KillAndReap();
  // The log directory goes away with this object: show what the process said when the test
  // that ran it has failed.
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  if (test != nullptr && ::testing::Test::HasFailure()) {
    std::cerr << "---- last output of " << name_ << " (pid " << pid_ << ") ----\n"
              << LogTail() << "\n---- end of " << name_ << " output ----" << std::endl;
  }
}

bool Process::TryReap() {
  if (exit_code_.has_value()) return true;
  if (pid_ < 0) return false;
  int status = 0;
  pid_t result;
  do {
    result = waitpid(pid_, &status, WNOHANG);
  } while (result < 0 && errno == EINTR);
  if (result == pid_) {
    exit_code_ = ExitCodeFromWaitStatus(status);
    return true;
  }
  return false;
}

void Process::KillAndReap() {
  if (pid_ < 0 || TryReap()) return;
  // The whole group: a shell child's own children must not outlive the test either.
  kill(-pid_, SIGKILL);
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exit_code_ = ExitCodeFromWaitStatus(status);
}

bool Process::Running() { return pid_ >= 0 && !TryReap(); }

absl::StatusOr<std::string> Process::WaitForListen(absl::string_view kind, absl::Duration timeout) {
  const std::string marker = absl::StrCat("listening ", kind, " on ");
  std::string address;
  bool exited = false;
  PollUntil(
      [&] {
        const std::string log = Log();
        if (size_t at = log.find(marker); at != std::string::npos) {
          size_t end = at + marker.size();
          while (end < log.size() && IsAddressChar(log[end])) ++end;
          address = log.substr(at + marker.size(), end - at - marker.size());
          if (!address.empty()) return true;
        }
        exited = !Running();
        return exited;
      },
      timeout);
  if (!address.empty()) return address;
  if (exited) {
    return absl::FailedPreconditionError(
        absl::StrCat(name_, " exited with code ", exit_code_.value_or(-1), " before logging '",
                     marker, "<address>'; its output:\n", LogTail()));
  }
  return absl::DeadlineExceededError(
      absl::StrCat(name_, " did not log '", marker, "<address>' within ",
                   absl::FormatDuration(timeout), "; its output:\n", LogTail()));
}

absl::Status Process::Signal(int signo) {
  if (!Running()) {
    return absl::FailedPreconditionError(absl::StrCat(name_, " has already exited"));
  }
  if (kill(pid_, signo) != 0) {
    return absl::InternalError(absl::StrCat("kill ", pid_, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> Process::Wait(absl::Duration timeout) {
  if (pid_ < 0) return absl::FailedPreconditionError("no process");
  if (PollUntil([&] { return TryReap(); }, timeout, absl::Milliseconds(5))) return *exit_code_;
  return absl::DeadlineExceededError(
      absl::StrCat(name_, " still runs after ", absl::FormatDuration(timeout)));
}

std::string Process::Log() const {
  absl::StatusOr<std::string> log = ReadFile(log_path_);
  return log.ok() ? *std::move(log) : std::string();
}

std::string Process::LogTail(size_t max_bytes) const {
  std::string log = Log();
  if (log.size() <= max_bytes) return log;
  return absl::StrCat("...", log.substr(log.size() - max_bytes));
}

}  // namespace gw::testing
