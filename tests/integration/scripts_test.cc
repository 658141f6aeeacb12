// The developer scripts as a user runs them: scripts/run starts a working gateway (control plane,
// fake provider, one worker) whose printed curl line answers, keeps its tokens and demo key
// across runs, stops every process it started on SIGTERM or when one of them dies, and refuses a
// busy port clearly; the package check reports exactly what is missing.
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/integration/harness/harness.h"

namespace gw::testing {
namespace {

const std::string kSourceDir = GW_SOURCE_DIR;
// The build tree this test belongs to; scripts/run builds (a no-op here) and runs from it.
const std::string kBuildDir = std::string(GW_BIN_DIR).substr(0, std::string(GW_BIN_DIR).rfind('/'));
// Generous: the script may still have something to build, and the machine may be loaded.
constexpr absl::Duration kReadyTimeout = absl::Minutes(5);

// The line of `log` that starts (after indentation) with `prefix`, without the indentation.
std::optional<std::string> PrintedLine(const std::string& log, absl::string_view prefix) {
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    const size_t start = line.find_first_not_of(' ');
    if (start != absl::string_view::npos && absl::StartsWith(line.substr(start), prefix)) {
      return std::string(line.substr(start));
    }
  }
  return std::nullopt;
}

// The processes whose parent is `parent`, with the basename of their executable.
std::vector<std::pair<pid_t, std::string>> ChildrenOf(pid_t parent) {
  std::vector<std::pair<pid_t, std::string>> children;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return children;
  while (dirent* entry = readdir(proc)) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry->d_name, &pid)) continue;
    absl::StatusOr<std::string> stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
    if (!stat.ok()) continue;
    // "pid (comm) state ppid ...": comm may hold spaces, so read after the last ')'.
    const size_t close = stat->rfind(')');
    if (close == std::string::npos) continue;
    std::vector<std::string> fields = absl::StrSplit(stat->substr(close + 2), ' ');
    int ppid = 0;
    if (fields.size() < 2 || !absl::SimpleAtoi(fields[1], &ppid) || ppid != parent) continue;
    char exe[4096];
    const ssize_t n = readlink(absl::StrCat("/proc/", pid, "/exe").c_str(), exe, sizeof exe - 1);
    std::string name = n > 0 ? std::string(exe, static_cast<size_t>(n)) : "";
    children.emplace_back(pid, name.substr(name.rfind('/') + 1));
  }
  closedir(proc);
  return children;
}

bool PidAlive(pid_t pid) { return kill(pid, 0) == 0 || errno != ESRCH; }

class RunScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<TempDir> dir = TempDir::Create("gw-run-script");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_.emplace(*std::move(dir));
    var_dir_ = dir_->Path("var");
  }

  // Every address on a free port; no provider key, so the fake provider is used.
  absl::StatusOr<Process> StartRun(EnvVars extra = {}) {
    EnvVars env = {{"GW_BUILD_DIR", kBuildDir},
                   {"GW_VAR_DIR", var_dir_},
                   {"GW_LISTEN", "127.0.0.1:0"},
                   {"GW_HTTP_LISTEN", "127.0.0.1:0"},
                   {"GW_GRPC_LISTEN", "127.0.0.1:0"},
                   {"GW_FAKE_LISTEN", "127.0.0.1:0"},
                   {"OPENAI_API_KEY", ""}};
    env.insert(env.end(), extra.begin(), extra.end());
    return Process::Start({kSourceDir + "/scripts/run"}, env);
  }

  // Waits for the script's "Ctrl-C stops everything." line, which follows the curl line.
  static absl::Status WaitUntilReady(Process& run) {
    const bool ready = PollUntil(
        [&] { return absl::StrContains(run.Log(), "Ctrl-C stops everything.") || !run.Running(); },
        kReadyTimeout, absl::Milliseconds(100));
    if (!ready || !run.Running()) {
      return absl::DeadlineExceededError(absl::StrCat("scripts/run is not ready:\n", run.Log()));
    }
    return absl::OkStatus();
  }

  // The gateway's three processes, once the script has started them all.
  static absl::StatusOr<std::vector<std::pair<pid_t, std::string>>> Children(const Process& run) {
    std::vector<std::pair<pid_t, std::string>> children;
    const std::set<std::string> expected = {"gw-control-plane", "gw-fake-provider",
                                            "gw-data-plane"};
    const bool found = PollUntil(
        [&] {
          children = ChildrenOf(run.pid());
          std::set<std::string> names;
          for (const auto& child : children) names.insert(child.second);
          return names == expected && children.size() == 3;
        },
        absl::Seconds(10));
    if (!found) {
      std::string listed;
      for (const auto& child : children) absl::StrAppend(&listed, " ", child.second);
      return absl::NotFoundError(absl::StrCat("children of scripts/run:", listed));
    }
    return children;
  }

  // Runs the printed curl line in bash, as a user pastes it.
  static CommandResult RunPrintedCurl(const Process& run) {
    std::optional<std::string> curl = PrintedLine(run.Log(), "curl http://");
    EXPECT_TRUE(curl.has_value()) << run.Log();
    absl::StatusOr<CommandResult> result =
        RunCommand({"bash", "-c", curl.value_or("false")}, absl::Seconds(30));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.value_or(CommandResult{});
  }

  CommandResult Gwctl(const Process& run, std::vector<std::string> args) {
    std::optional<std::string> server = PrintedLine(run.Log(), "export GWCTL_SERVER=");
    EXPECT_TRUE(server.has_value()) << run.Log();
    absl::StatusOr<std::string> token = ReadFile(var_dir_ + "/admin-token");
    EXPECT_TRUE(token.ok()) << token.status();
    args.insert(args.begin(), BinaryPath("gwctl"));
    absl::StatusOr<CommandResult> result = RunCommand(
        args, absl::Seconds(30),
        {{"GWCTL_SERVER", server.value_or("").substr(std::string("export GWCTL_SERVER=").size())},
         {"GWCTL_TOKEN", token.value_or("")}});
    EXPECT_TRUE(result.ok()) << result.status();
    return result.value_or(CommandResult{});
  }

  std::optional<TempDir> dir_;
  std::string var_dir_;
};

void ExpectPrivateFile(const std::string& path, size_t min_size) {
  absl::StatusOr<std::string> contents = ReadFile(path);
  ASSERT_TRUE(contents.ok()) << contents.status();
  EXPECT_GE(contents->size(), min_size) << path;
  struct stat info {};
  ASSERT_EQ(stat(path.c_str(), &info), 0) << path;
  EXPECT_EQ(info.st_mode & 0777, 0600u) << path;
}

void ExpectChatCompletionFromTheFake(const CommandResult& curl) {
  EXPECT_EQ(curl.exit_code, 0) << curl.stderr_text;
  // The fake echoes the last user message; an error body would carry "error" instead.
  EXPECT_TRUE(absl::StrContains(curl.stdout_text, "\"object\":\"chat.completion\"") ||
              absl::StrContains(curl.stdout_text, "\"object\": \"chat.completion\""))
      << curl.stdout_text;
  EXPECT_TRUE(absl::StrContains(curl.stdout_text, "Hello")) << curl.stdout_text;
  EXPECT_FALSE(absl::StrContains(curl.stdout_text, "\"error\"")) << curl.stdout_text;
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

TEST_F(RunScriptTest, StartsAWorkingGatewayAndStopsAllOfItOnSigterm) {
  std::string admin_token, demo_key;
  std::vector<std::pair<pid_t, std::string>> first_children;
  {
    GW_ASSERT_OK_AND_ASSIGN(Process run, StartRun());
    GW_ASSERT_OK(WaitUntilReady(run));
    const std::string log = run.Log();

    ExpectPrivateFile(var_dir_ + "/admin-token", 32);
    ExpectPrivateFile(var_dir_ + "/worker-token", 32);
    ExpectPrivateFile(var_dir_ + "/demo-key", 20);
    admin_token = ReadFile(var_dir_ + "/admin-token").value_or("");
    demo_key = ReadFile(var_dir_ + "/demo-key").value_or("");
    EXPECT_TRUE(absl::StartsWith(demo_key, "gwk-")) << "a gateway key, without a newline";
    EXPECT_FALSE(absl::StrContains(log, admin_token)) << "the script printed the admin token";
    // The demo key is for pasting into clients; the admin token stays in its file.
    EXPECT_TRUE(absl::StrContains(log, absl::StrCat("demo key       ", demo_key, " (in "))) << log;
    EXPECT_TRUE(absl::StrContains(log, "Seeding the demo configuration")) << log;
    EXPECT_TRUE(absl::StrContains(
        log, absl::StrCat("-H \"Authorization: Bearer $(cat ", var_dir_, "/demo-key)\"")))
        << log;
    EXPECT_TRUE(absl::StrContains(log, "base_url=\"http://127.0.0.1:")) << log;
    EXPECT_TRUE(absl::StrContains(
        log, absl::StrCat("export GWCTL_TOKEN=$(cat ", var_dir_, "/admin-token)")))
        << log;
    EXPECT_TRUE(absl::StrContains(log, "gwctl status")) << log;

    ExpectChatCompletionFromTheFake(RunPrintedCurl(run));
    // The printed gwctl settings reach the control plane, which sees the worker.
    CommandResult status = Gwctl(run, {"status", "-o", "json"});
    EXPECT_EQ(status.exit_code, 0) << status.stderr_text;
    EXPECT_TRUE(absl::StrContains(status.stdout_text, "\"connected\": true")) << status.stdout_text;

    GW_ASSERT_OK_AND_ASSIGN(first_children, Children(run));
    GW_ASSERT_OK(run.Signal(SIGTERM));
    absl::StatusOr<int> code = run.Wait(absl::Seconds(60));
    GW_ASSERT_OK(code);
    EXPECT_EQ(*code, 0) << run.Log();
    for (const auto& [pid, name] : first_children) {
      EXPECT_FALSE(PidAlive(pid)) << name << " (pid " << pid << ") outlived scripts/run";
    }
  }

  // The second run keeps the tokens and the key, seeds nothing new, and serves again (the fake
  // has a new port: the provider's base URL is applied again).
  GW_ASSERT_OK_AND_ASSIGN(Process again, StartRun());
  GW_ASSERT_OK(WaitUntilReady(again));
  EXPECT_EQ(ReadFile(var_dir_ + "/admin-token").value_or(""), admin_token);
  EXPECT_EQ(ReadFile(var_dir_ + "/demo-key").value_or(""), demo_key);
  EXPECT_TRUE(absl::StrContains(again.Log(), absl::StrCat("demo key       ", demo_key)))
      << again.Log();
  EXPECT_FALSE(absl::StrContains(again.Log(), "Generated")) << again.Log();
  EXPECT_FALSE(absl::StrContains(again.Log(), "Seeding")) << again.Log();
  ExpectChatCompletionFromTheFake(RunPrintedCurl(again));
  CommandResult teams = Gwctl(again, {"team", "list", "-o", "json"});
  EXPECT_EQ(teams.exit_code, 0) << teams.stderr_text;
  EXPECT_EQ(Count(teams.stdout_text, "\"name\": \"demo\""), 1u) << teams.stdout_text;
  CommandResult keys = Gwctl(again, {"key", "list", "--team", "demo", "-o", "json"});
  EXPECT_EQ(keys.exit_code, 0) << keys.stderr_text;
  EXPECT_EQ(Count(keys.stdout_text, "\"prefix\":"), 1u) << keys.stdout_text;

  // A process that dies on its own takes the others down with it, and the script fails.
  GW_ASSERT_OK_AND_ASSIGN(auto children, Children(again));
  pid_t worker = -1;
  for (const auto& [pid, name] : children) {
    if (name == "gw-data-plane") worker = pid;
  }
  ASSERT_GT(worker, 0);
  ASSERT_EQ(kill(worker, SIGKILL), 0);
  absl::StatusOr<int> code = again.Wait(absl::Seconds(60));
  GW_ASSERT_OK(code);
  EXPECT_EQ(*code, 1) << again.Log();
  EXPECT_TRUE(absl::StrContains(again.Log(), "worker-1 exited with code 137")) << again.Log();
  for (const auto& [pid, name] : children) {
    EXPECT_FALSE(PidAlive(pid)) << name << " (pid " << pid << ") outlived scripts/run";
  }
}

TEST_F(RunScriptTest, ABusyPortIsRefusedWithTheSettingThatMovesIt) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(listen(listener, 4), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::string busy = absl::StrCat("127.0.0.1:", ntohs(address.sin_port));

  GW_ASSERT_OK_AND_ASSIGN(Process run, StartRun({{"GW_HTTP_LISTEN", busy}}));
  absl::StatusOr<int> code = run.Wait(kReadyTimeout);
  close(listener);
  GW_ASSERT_OK(code);
  EXPECT_EQ(*code, 1) << run.Log();
  EXPECT_TRUE(absl::StrContains(run.Log(), absl::StrCat(busy, " (worker HTTP) is already in use")))
      << run.Log();
  EXPECT_TRUE(absl::StrContains(run.Log(), "GW_HTTP_LISTEN=127.0.0.1:0")) << run.Log();
}

// Runs `script` in bash with the package list sourced, as an unprivileged user.
absl::StatusOr<CommandResult> RunDepsScript(const std::string& script) {
  std::vector<std::string> argv;
  if (geteuid() == 0) {
    argv = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
  }
  argv.insert(
      argv.end(),
      {"bash", "-c", absl::StrCat("source '", kSourceDir, "/scripts/lib/deps.sh' && ", script)});
  return RunCommand(argv, absl::Seconds(30));
}

TEST(DepsScriptTest, ListsOnlyTheMissingPackages) {
  absl::StatusOr<CommandResult> result = RunDepsScript(
      "GW_DEBIAN_PACKAGES=(dpkg gw-no-such-package bash gw-other-missing); gw_missing_packages");
  GW_ASSERT_OK(result);
  EXPECT_EQ(result->exit_code, 0) << result->stderr_text;
  EXPECT_EQ(result->stdout_text, "gw-no-such-package\ngw-other-missing\n");
}

TEST(DepsScriptTest, NothingMissingIsASilentSuccess) {
  absl::StatusOr<CommandResult> result =
      RunDepsScript("GW_DEBIAN_PACKAGES=(dpkg bash); gw_ensure_deps");
  GW_ASSERT_OK(result);
  EXPECT_EQ(result->exit_code, 0) << result->stderr_text;
  EXPECT_EQ(result->stdout_text, "");
  EXPECT_EQ(result->stderr_text, "");
}

TEST(DepsScriptTest, WithoutRootPrintsTheInstallCommandAndFails) {
  absl::StatusOr<CommandResult> result =
      RunDepsScript("GW_DEBIAN_PACKAGES=(dpkg gw-no-such-package); gw_ensure_deps");
  GW_ASSERT_OK(result);
  EXPECT_EQ(result->exit_code, 1);
  EXPECT_TRUE(absl::StrContains(
      result->stderr_text,
      "sudo apt-get update && sudo apt-get install -y --no-install-recommends gw-no-such-package"))
      << result->stderr_text;
}

}  // namespace
}  // namespace gw::testing
