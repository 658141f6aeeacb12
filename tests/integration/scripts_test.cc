// The developer scripts as a user runs them: scripts/run starts the control plane with tokens it
// generates once and keeps, prints gwctl lines that work, and stops cleanly on SIGTERM; the
// package check reports exactly what is missing.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/integration/harness/harness.h"

namespace gw::testing {
namespace {

const std::string kSourceDir = GW_SOURCE_DIR;
// The build tree this test belongs to; scripts/run builds (a no-op here) and runs from it.
const std::string kBuildDir = std::string(GW_BIN_DIR).substr(0, std::string(GW_BIN_DIR).rfind('/'));

class RunScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<TempDir> dir = TempDir::Create("gw-run-script");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_.emplace(*std::move(dir));
    var_dir_ = dir_->Path("var");
  }

  absl::StatusOr<Process> StartRun() {
    return Process::Start(
        {kSourceDir + "/scripts/run"},
        {{"GW_BUILD_DIR", kBuildDir}, {"GW_VAR_DIR", var_dir_}, {"GW_LISTEN", "127.0.0.1:0"}});
  }

  CommandResult Gwctl(const std::string& address, std::vector<std::string> args) {
    absl::StatusOr<std::string> token = ReadFile(var_dir_ + "/admin-token");
    EXPECT_TRUE(token.ok()) << token.status();
    args.insert(args.begin(), BinaryPath("gwctl"));
    absl::StatusOr<CommandResult> result = RunCommand(
        args, absl::Seconds(30), {{"GWCTL_SERVER", address}, {"GWCTL_TOKEN", token.value_or("")}});
    EXPECT_TRUE(result.ok()) << result.status();
    return result.value_or(CommandResult{});
  }

  std::optional<TempDir> dir_;
  std::string var_dir_;
};

void ExpectPrivateToken(const std::string& path) {
  absl::StatusOr<std::string> token = ReadFile(path);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_GE(token->size(), 32u) << path;
  struct stat info {};
  ASSERT_EQ(stat(path.c_str(), &info), 0) << path;
  EXPECT_EQ(info.st_mode & 0777, 0600u) << path;
}

TEST_F(RunScriptTest, StartsTheControlPlaneWithTokensItKeeps) {
  std::string admin_token, worker_token;
  {
    GW_ASSERT_OK_AND_ASSIGN(Process run, StartRun());
    // The first run may still have something to build.
    GW_ASSERT_OK_AND_ASSIGN(std::string address, run.WaitForListen("grpc", absl::Minutes(4)));

    ExpectPrivateToken(var_dir_ + "/admin-token");
    ExpectPrivateToken(var_dir_ + "/worker-token");
    admin_token = ReadFile(var_dir_ + "/admin-token").value_or("");
    worker_token = ReadFile(var_dir_ + "/worker-token").value_or("");
    EXPECT_NE(admin_token, worker_token);
    const std::string log = run.Log();
    EXPECT_TRUE(absl::StrContains(
        log, absl::StrCat("export GWCTL_TOKEN=$(cat ", var_dir_, "/admin-token)")))
        << log;
    EXPECT_TRUE(absl::StrContains(log, "gwctl team create demo --tier standard")) << log;
    EXPECT_FALSE(absl::StrContains(log, admin_token)) << "the script printed the admin token";

    CommandResult created = Gwctl(address, {"team", "create", "demo", "--tier", "standard"});
    EXPECT_EQ(created.exit_code, 0) << created.stderr_text;

    // exec: the script's process is the control plane, so Ctrl-C and SIGTERM reach it.
    GW_ASSERT_OK(run.Signal(SIGTERM));
    absl::StatusOr<int> code = run.Wait(absl::Seconds(30));
    GW_ASSERT_OK(code);
    EXPECT_EQ(*code, 0) << run.Log();
  }

  GW_ASSERT_OK_AND_ASSIGN(Process again, StartRun());
  GW_ASSERT_OK_AND_ASSIGN(std::string address, again.WaitForListen("grpc", absl::Minutes(4)));
  EXPECT_EQ(ReadFile(var_dir_ + "/admin-token").value_or(""), admin_token);
  EXPECT_EQ(ReadFile(var_dir_ + "/worker-token").value_or(""), worker_token);
  EXPECT_FALSE(absl::StrContains(again.Log(), "Generated")) << again.Log();
  CommandResult listed = Gwctl(address, {"team", "list", "-o", "json"});
  EXPECT_EQ(listed.exit_code, 0) << listed.stderr_text;
  EXPECT_TRUE(absl::StrContains(listed.stdout_text, "\"demo\"")) << listed.stdout_text;
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
