// Self-test of gw_test_harness with /bin/sh children: the harness must see listen lines, notice
// early exits, capture output and exit codes, and never leave a child running.
#include "tests/integration/harness/harness.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace gw::testing {
namespace {

// A zombie counts as gone: it runs no code and holds no port.
bool IsAlive(pid_t pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(stat, line)) return false;
  const size_t paren = line.rfind(')');
  if (paren == std::string::npos || paren + 2 >= line.size()) return false;
  const char state = line[paren + 2];
  return state != 'Z' && state != 'X';
}

absl::StatusOr<Process> Shell(const std::string& script, EnvVars env = {}) {
  return Process::Start({"/bin/sh", "-c", script}, std::move(env));
}

TEST(ProcessTest, WaitForListenReturnsTheLoggedAddress) {
  GW_ASSERT_OK_AND_ASSIGN(
      Process process,
      Shell("echo starting; echo 'listening http on 127.0.0.1:8080' >&2; "
            "echo '{\"msg\":\"listening grpc on 127.0.0.1:45123\"}'; exec sleep 30"));
  absl::StatusOr<std::string> grpc = process.WaitForListen("grpc", absl::Seconds(10));
  GW_ASSERT_OK(grpc);
  EXPECT_EQ(*grpc, "127.0.0.1:45123");
  absl::StatusOr<std::string> http = process.WaitForListen("http", absl::Seconds(10));
  GW_ASSERT_OK(http);
  EXPECT_EQ(*http, "127.0.0.1:8080");
}

TEST(ProcessTest, WaitForListenAcceptsIpv6Addresses) {
  GW_ASSERT_OK_AND_ASSIGN(Process process,
                          Shell("echo 'listening grpc on [::1]:7070'; exec sleep 30"));
  absl::StatusOr<std::string> address = process.WaitForListen("grpc", absl::Seconds(10));
  GW_ASSERT_OK(address);
  EXPECT_EQ(*address, "[::1]:7070");
}

TEST(ProcessTest, WaitForListenFailsEarlyWhenTheProcessExits) {
  GW_ASSERT_OK_AND_ASSIGN(Process process, Shell("echo 'bad flag --frobnicate' >&2; exit 2"));
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> address = process.WaitForListen("grpc", absl::Seconds(60));
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  ASSERT_FALSE(address.ok());
  EXPECT_EQ(address.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(address.status().message(), "bad flag --frobnicate"))
      << address.status();
  EXPECT_TRUE(absl::StrContains(address.status().message(), "code 2")) << address.status();
}

TEST(ProcessTest, WaitForListenTimesOutWithTheLogTail) {
  GW_ASSERT_OK_AND_ASSIGN(Process process,
                          Shell("echo 'listening http on 127.0.0.1:1'; exec sleep 30"));
  absl::StatusOr<std::string> address = process.WaitForListen("grpc", absl::Milliseconds(200));
  ASSERT_FALSE(address.ok());
  EXPECT_EQ(address.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(absl::StrContains(address.status().message(), "listening http")) << address.status();
}

TEST(ProcessTest, PassesExtraEnvironmentAndOverridesInherited) {
  ASSERT_EQ(setenv("GW_HARNESS_INHERITED", "old", 1), 0);
  GW_ASSERT_OK_AND_ASSIGN(Process process,
                          Shell("echo \"listening http on $ADDR $GW_HARNESS_INHERITED\"; exit 0",
                                {{"ADDR", "10.0.0.1:99"}, {"GW_HARNESS_INHERITED", "new"}}));
  absl::StatusOr<int> code = process.Wait(absl::Seconds(10));
  GW_ASSERT_OK(code);
  EXPECT_EQ(*code, 0);
  EXPECT_EQ(process.Log(), "listening http on 10.0.0.1:99 new\n");
  unsetenv("GW_HARNESS_INHERITED");
}

TEST(ProcessTest, LogHoldsStdoutAndStderrInOrder) {
  GW_ASSERT_OK_AND_ASSIGN(Process process, Shell("echo one; echo two >&2; echo three"));
  GW_ASSERT_OK(process.Wait(absl::Seconds(10)));
  EXPECT_EQ(process.Log(), "one\ntwo\nthree\n");
  EXPECT_EQ(process.LogTail(6), "...three\n");
}

TEST(ProcessTest, SignalAndWaitReportTheExitCode) {
  GW_ASSERT_OK_AND_ASSIGN(
      Process process,
      Shell("trap 'echo stopping; exit 7' TERM; echo 'listening http on 127.0.0.1:5'; "
            "while :; do sleep 0.05; done"));
  GW_ASSERT_OK(process.WaitForListen("http", absl::Seconds(10)));  // The trap is in place.
  EXPECT_TRUE(process.Running());
  GW_ASSERT_OK(process.Signal(SIGTERM));
  absl::StatusOr<int> code = process.Wait(absl::Seconds(10));
  GW_ASSERT_OK(code);
  EXPECT_EQ(*code, 7);
  EXPECT_FALSE(process.Running());
  EXPECT_TRUE(absl::StrContains(process.Log(), "stopping"));
  EXPECT_EQ(process.Signal(SIGTERM).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ProcessTest, DeathBySignalIs128PlusTheSignal) {
  GW_ASSERT_OK_AND_ASSIGN(Process process, Shell("exec sleep 30"));
  GW_ASSERT_OK(process.Signal(SIGKILL));
  absl::StatusOr<int> code = process.Wait(absl::Seconds(10));
  GW_ASSERT_OK(code);
  EXPECT_EQ(*code, 128 + SIGKILL);
}

TEST(ProcessTest, WaitTimesOutWhileTheProcessRuns) {
  GW_ASSERT_OK_AND_ASSIGN(Process process, Shell("exec sleep 30"));
  absl::StatusOr<int> code = process.Wait(absl::Milliseconds(50));
  EXPECT_EQ(code.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(process.Running());
}

TEST(ProcessTest, DestructorKillsTheProcessAndItsChildren) {
  pid_t shell_pid = -1;
  pid_t child_pid = -1;
  {
    GW_ASSERT_OK_AND_ASSIGN(Process process, Shell("sleep 30 & echo \"child $!\"; wait"));
    shell_pid = process.pid();
    std::string log;
    ASSERT_TRUE(
        PollUntil([&] { return absl::EndsWith(log = process.Log(), "\n"); }, absl::Seconds(10)));
    int parsed = 0;
    ASSERT_TRUE(
        absl::SimpleAtoi(absl::StripSuffix(absl::StripPrefix(log, "child "), "\n"), &parsed))
        << log;
    child_pid = parsed;
    ASSERT_TRUE(IsAlive(shell_pid));
    ASSERT_TRUE(IsAlive(child_pid));
  }
  EXPECT_FALSE(IsAlive(shell_pid));  // Reaped by the destructor, not a zombie.
  EXPECT_EQ(kill(shell_pid, 0), -1);
  EXPECT_TRUE(PollUntil([&] { return !IsAlive(child_pid); }, absl::Seconds(10)));
}

TEST(ProcessTest, MovedProcessIsOwnedOnce) {
  GW_ASSERT_OK_AND_ASSIGN(Process first, Shell("exec sleep 30"));
  const pid_t pid = first.pid();
  Process second = std::move(first);
  EXPECT_EQ(second.pid(), pid);
  EXPECT_TRUE(second.Running());
  GW_ASSERT_OK_AND_ASSIGN(Process third, Shell("exec sleep 30"));
  const pid_t replaced = third.pid();
  third = std::move(second);  // Kills and reaps what `third` held.
  EXPECT_EQ(kill(replaced, 0), -1);
  EXPECT_EQ(third.pid(), pid);
  EXPECT_TRUE(third.Running());
}

TEST(ProcessTest, StartFailsForAMissingBinary) {
  absl::StatusOr<Process> process = Process::Start({"/nonexistent/gw-binary", "--flag"});
  ASSERT_FALSE(process.ok());
  EXPECT_EQ(process.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(process.status().message(), "/nonexistent/gw-binary"));
}

TEST(ProcessTest, LogFileIsRemovedWithTheProcess) {
  std::string log_path;
  {
    GW_ASSERT_OK_AND_ASSIGN(Process process, Shell("echo hi"));
    log_path = process.log_path();
    GW_ASSERT_OK(process.Wait(absl::Seconds(10)));
    EXPECT_TRUE(std::filesystem::exists(log_path));
  }
  EXPECT_FALSE(std::filesystem::exists(log_path));
}

TEST(RunCommandTest, CapturesBothStreamsAndTheExitCode) {
  absl::StatusOr<CommandResult> result =
      RunCommand({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, absl::Seconds(10));
  GW_ASSERT_OK(result);
  EXPECT_EQ(result->exit_code, 3);
  EXPECT_EQ(result->stdout_text, "out\n");
  EXPECT_EQ(result->stderr_text, "err\n");
}

TEST(RunCommandTest, LargeOutputOnBothStreamsDoesNotDeadlock) {
  absl::StatusOr<CommandResult> result = RunCommand(
      {"/bin/sh", "-c", "head -c 1000000 /dev/zero; head -c 700000 /dev/zero >&2; exit 0"},
      absl::Seconds(30));
  GW_ASSERT_OK(result);
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_EQ(result->stdout_text.size(), 1000000u);
  EXPECT_EQ(result->stderr_text.size(), 700000u);
}

TEST(RunCommandTest, FeedsStdin) {
  const std::string input(300000, 'x');
  absl::StatusOr<CommandResult> result = RunCommand({"cat"}, absl::Seconds(30), {}, input + "\n");
  GW_ASSERT_OK(result);
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_EQ(result->stdout_text, input + "\n");
}

TEST(RunCommandTest, CommandThatIgnoresStdinDoesNotHurtTheTest) {
  absl::StatusOr<CommandResult> result =
      RunCommand({"/bin/sh", "-c", "exec 0<&-; echo closed"}, absl::Seconds(10), {},
                 std::string(2000000, 'y'));
  GW_ASSERT_OK(result);
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_EQ(result->stdout_text, "closed\n");
}

TEST(RunCommandTest, StdinIsEmptyByDefault) {
  absl::StatusOr<CommandResult> result = RunCommand({"wc", "-c"}, absl::Seconds(10));
  GW_ASSERT_OK(result);
  EXPECT_EQ(absl::StripAsciiWhitespace(result->stdout_text), "0");
}

TEST(RunCommandTest, KillsACommandThatOutlivesTheTimeout) {
  const absl::Time start = absl::Now();
  absl::StatusOr<CommandResult> result =
      RunCommand({"/bin/sh", "-c", "echo partial; exec sleep 30"}, absl::Milliseconds(300));
  EXPECT_LT(absl::Now() - start, absl::Seconds(20));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(absl::StrContains(result.status().message(), "partial")) << result.status();
}

TEST(RunCommandTest, ReturnsWhenTheCommandExitsEvenIfABackgroundChildHoldsItsOutput) {
  const absl::Time start = absl::Now();
  absl::StatusOr<CommandResult> result =
      RunCommand({"/bin/sh", "-c", "sleep 30 & echo \"$!\""}, absl::Seconds(20));
  EXPECT_LT(absl::Now() - start, absl::Seconds(15));
  GW_ASSERT_OK(result);
  EXPECT_EQ(result->exit_code, 0);
  int background = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(result->stdout_text), &background));
  kill(background, SIGKILL);
}

TEST(RunCommandTest, PassesExtraEnvironment) {
  absl::StatusOr<CommandResult> result = RunCommand({"/bin/sh", "-c", "printf %s \"$GWCTL_TOKEN\""},
                                                    absl::Seconds(10), {{"GWCTL_TOKEN", "t0k"}});
  GW_ASSERT_OK(result);
  EXPECT_EQ(result->stdout_text, "t0k");
}

TEST(RunCommandTest, MissingBinaryIsAnError) {
  absl::StatusOr<CommandResult> result = RunCommand({"no-such-gw-command"}, absl::Seconds(10));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(TempDirTest, CreatesAndRemovesADirectoryTree) {
  std::string path;
  {
    GW_ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::Create("gw-harness"));
    path = dir.path();
    EXPECT_TRUE(std::filesystem::is_directory(path));
    EXPECT_TRUE(absl::StrContains(path, "gw-harness-"));
    std::filesystem::create_directories(dir.Path("a/b"));
    GW_ASSERT_OK(WriteFile(dir.Path("a/b/token"), "secret"));
    absl::StatusOr<std::string> read = ReadFile(dir.Path("a/b/token"));
    GW_ASSERT_OK(read);
    EXPECT_EQ(*read, "secret");
    TempDir moved = std::move(dir);
    EXPECT_EQ(moved.path(), path);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(TempDirTest, WriteFileSetsTheMode) {
  GW_ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::Create());
  GW_ASSERT_OK(WriteFile(dir.Path("token"), "t", 0600));
  struct stat info {};
  ASSERT_EQ(stat(dir.Path("token").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(ReadFile(dir.Path("missing")).status().code(), absl::StatusCode::kNotFound);
}

TEST(PollUntilTest, ReturnsAsSoonAsTheConditionHolds) {
  int calls = 0;
  EXPECT_TRUE(PollUntil([&] { return ++calls == 3; }, absl::Seconds(10), absl::Milliseconds(1)));
  EXPECT_EQ(calls, 3);
}

TEST(PollUntilTest, GivesUpAtTheDeadline) {
  int calls = 0;
  const absl::Time start = absl::Now();
  EXPECT_FALSE(PollUntil([&] { return ++calls < 0; }, absl::Milliseconds(50)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(50));
  EXPECT_GE(calls, 2);
}

TEST(BinaryPathTest, PointsIntoTheBuildTreeUnlessOverridden) {
  unsetenv("GW_BIN_DIR");
  EXPECT_EQ(BinaryPath("gwctl"), absl::StrCat(GW_BIN_DIR, "/gwctl"));
  ASSERT_EQ(setenv("GW_BIN_DIR", "/opt/gw/bin", 1), 0);
  EXPECT_EQ(BinaryPath("gwctl"), "/opt/gw/bin/gwctl");
  unsetenv("GW_BIN_DIR");
}

}  // namespace
}  // namespace gw::testing
