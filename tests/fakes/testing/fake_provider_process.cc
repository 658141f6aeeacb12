#include "tests/fakes/testing/fake_provider_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace gw::testing {
namespace {

constexpr char kListening[] = "listening http on ";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

// Waits for `pid` until `deadline`; the exit code, 128 + signal, or -1 while still running.
int WaitUntil(pid_t pid, absl::Time deadline) {
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (r < 0) return -2;
    if (absl::Now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<FakeProviderProcess>> FakeProviderProcess::Start(
    const std::string& binary, std::vector<std::string> args,
    const std::map<std::string, std::string>& env, absl::Duration timeout) {
  std::unique_ptr<FakeProviderProcess> process(new FakeProviderProcess());
  if (std::find(args.begin(), args.end(), "--listen") == args.end()) {
    args.insert(args.begin(), {"--listen", "127.0.0.1:0"});
  }
  process->tls_ = std::find(args.begin(), args.end(), "--tls-cert") != args.end();

  std::string dir_template =
      (std::filesystem::temp_directory_path() / "gw-fake-provider-XXXXXX").string();
  if (mkdtemp(dir_template.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
  }
  process->log_dir_ = dir_template;
  process->log_path_ = dir_template + "/fake-provider.log";

  std::vector<std::string> argv_storage = {binary};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::map<std::string, std::string> merged_env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const size_t eq = entry.find('=');
    if (eq != std::string::npos) merged_env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [name, value] : env) merged_env[name] = value;
  std::vector<std::string> env_storage;
  for (const auto& [name, value] : merged_env) env_storage.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (std::string& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, process->log_path_.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  const int rc =
      posix_spawn(&process->pid_, binary.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    process->pid_ = -1;
    return absl::InternalError(absl::StrCat("cannot start ", binary, ": ", std::strerror(rc)));
  }

  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    const std::string log = ReadFile(process->log_path_);
    if (const size_t at = log.find(kListening); at != std::string::npos) {
      const size_t start = at + sizeof(kListening) - 1;
      const size_t end = log.find_first_of(" \n", start);
      if (end != std::string::npos) {
        process->address_ = log.substr(start, end - start);
        const size_t colon = process->address_.rfind(':');
        uint32_t port = 0;
        if (colon == std::string::npos ||
            !absl::SimpleAtoi(process->address_.substr(colon + 1), &port)) {
          return absl::InternalError(absl::StrCat("unparsable listening line in: ", log));
        }
        process->port_ = static_cast<uint16_t>(port);
        return process;
      }
    }
    const int exit_code = WaitUntil(process->pid_, absl::Now());
    if (exit_code >= 0) {
      process->pid_ = -1;
      return absl::InternalError(
          absl::StrCat("gw-fake-provider exited with ", exit_code, " before listening: ", log));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("gw-fake-provider did not report listening in time: ", log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

FakeProviderProcess::~FakeProviderProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    if (WaitUntil(pid_, absl::Now() + absl::Seconds(5)) == -1) {
      kill(pid_, SIGKILL);
      WaitUntil(pid_, absl::InfiniteFuture());
    }
  }
  if (!log_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(log_dir_, ignored);
  }
}

absl::StatusOr<int> FakeProviderProcess::Stop(absl::Duration timeout) {
  if (pid_ <= 0) return absl::FailedPreconditionError("not running");
  kill(pid_, SIGTERM);
  const int code = WaitUntil(pid_, absl::Now() + timeout);
  if (code == -1) return absl::DeadlineExceededError("gw-fake-provider ignored SIGTERM");
  pid_ = -1;
  return code;
}

std::string FakeProviderProcess::base_url() const {
  return absl::StrCat(tls_ ? "https://" : "http://", address_, "/v1");
}

std::string FakeProviderProcess::Log() const { return ReadFile(log_path_); }

}  // namespace gw::testing
