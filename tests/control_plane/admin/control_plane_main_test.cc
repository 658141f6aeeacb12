// The gw-control-plane binary as operators run it: flags and token rules, the listening line
// for port 0, the Admin API and server reflection on that port, SIGTERM -> exit 0, restart.

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/admin/v1/admin.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "sqlite3.h"
#include "tests/control_plane/admin/admin_test_server.h"

extern char** environ;

namespace gw::testing {
namespace {

namespace admin = gateway::admin::v1;
using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;

constexpr auto kStartDeadline = std::chrono::seconds(30);

// A child process with stdout and stderr captured through one pipe; killed if still running
// when destroyed.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& args, const std::vector<std::string>& env) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return;
    output_fd_ = fds[0];
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
    std::vector<char*> argv;
    for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    // The parent's environment minus the tokens, so each test states the tokens it means.
    std::vector<std::string> environment;
    for (char** entry = environ; *entry != nullptr; ++entry) {
      if (std::strncmp(*entry, "GW_", 3) != 0) environment.emplace_back(*entry);
    }
    environment.insert(environment.end(), env.begin(), env.end());
    std::vector<char*> envp;
    for (std::string& entry : environment) envp.push_back(entry.data());
    envp.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
  }
  ~ChildProcess() {
    if (pid_ > 0 && !exit_code_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (output_fd_ >= 0) close(output_fd_);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0; }
  void Signal(int signal_number) { kill(pid_, signal_number); }
  const std::string& output() const { return output_; }

  // Reads output until it contains `text` or the deadline passes; returns whether it appeared.
  bool WaitForOutput(const std::string& text, Clock::duration timeout) {
    const Clock::time_point deadline = Clock::now() + timeout;
    while (output_.find(text) == std::string::npos) {
      if (Clock::now() > deadline || !ReadSome(deadline)) return false;
    }
    return true;
  }

  // The exit code once the process ends (-1 for a signal), or nullopt at the deadline.
  std::optional<int> WaitForExit(Clock::duration timeout) {
    const Clock::time_point deadline = Clock::now() + timeout;
    while (!exit_code_) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        break;
      }
      if (Clock::now() > deadline) return std::nullopt;
      // Draining the pipe doubles as the wait between checks (and keeps the child unblocked).
      ReadSome(std::min(deadline, Clock::now() + std::chrono::milliseconds(20)));
    }
    while (ReadSome(Clock::now())) {
    }
    return exit_code_;
  }

 private:
  // Returns false at end of output or when nothing arrived before `deadline`.
  bool ReadSome(Clock::time_point deadline) {
    const auto wait =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd fd{output_fd_, POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(std::max<int64_t>(wait.count(), 0))) <= 0) return false;
    char buffer[4096];
    const ssize_t n = read(output_fd_, buffer, sizeof buffer);
    if (n <= 0) return false;
    output_.append(buffer, static_cast<size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int output_fd_ = -1;
  std::string output_;
  std::optional<int> exit_code_;
};

const std::string kBinary = std::string(GW_BIN_DIR) + "/gw-control-plane";
const std::string kAdminEnv = std::string("GW_ADMIN_TOKEN=") + kAdminToken;
const std::string kWorkerEnv = std::string("GW_WORKER_TOKEN=") + kWorkerToken;

// The bound address from "listening grpc on 127.0.0.1:PORT".
std::string ListeningAddress(const std::string& output) {
  constexpr char kMarker[] = "listening grpc on ";
  const size_t at = output.find(kMarker);
  if (at == std::string::npos) return "";
  const size_t start = at + sizeof kMarker - 1;
  const size_t end = output.find_first_not_of("0123456789.:[]abcdef", start);
  return output.substr(start, end - start);
}

grpc::Status GetStatus(const std::string& address, const std::string& token,
                       admin::GetStatusResponse* response) {
  auto stub =
      admin::Admin::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return stub->GetStatus(&context, admin::GetStatusRequest(), response);
}

grpc::Status CreateTeam(const std::string& address, const std::string& name) {
  auto stub =
      admin::Admin::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", std::string("Bearer ") + kAdminToken);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  admin::CreateTeamRequest request;
  request.mutable_team()->set_name(name);
  gateway::config::v1::Team team;
  return stub->CreateTeam(&context, request, &team);
}

// Asks the server reflection service to list services; returns the raw response bytes.
std::string ListServicesByReflection(const std::string& address) {
  grpc::GenericStub stub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::CompletionQueue queue;
  auto call = stub.PrepareCall(
      &context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &queue);
  // ServerReflectionRequest{list_services: ""}: field 7, length-delimited, empty.
  const char request_bytes[] = {0x3a, 0x00};
  grpc::Slice slice(request_bytes, sizeof request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  void* tag = nullptr;
  bool ok = false;
  int step = 0;
  call->StartCall(&step);
  if (!queue.Next(&tag, &ok) || !ok) return "";
  call->Write(request, &step);
  if (!queue.Next(&tag, &ok) || !ok) return "";
  call->Read(&response, &step);
  if (!queue.Next(&tag, &ok) || !ok) return "";
  call->WritesDone(&step);
  queue.Next(&tag, &ok);
  grpc::Status status;
  call->Finish(&status, &step);
  queue.Next(&tag, &ok);
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return "";
  std::string bytes;
  for (const grpc::Slice& part : slices) {
    bytes.append(reinterpret_cast<const char*>(part.begin()), part.size());
  }
  return bytes;
}

TEST(ControlPlaneMainTest, ServesOnAnyPortStopsOnSigtermAndKeepsItsState) {
  TempDir dir;
  const std::string db = dir.File("state/nested/gateway.db");  // Directories do not exist yet.
  std::string address;
  {
    ChildProcess cp({kBinary, "--listen", "127.0.0.1:0", "--db", db}, {kAdminEnv, kWorkerEnv});
    ASSERT_TRUE(cp.started());
    ASSERT_TRUE(cp.WaitForOutput("listening grpc on 127.0.0.1:", kStartDeadline)) << cp.output();
    address = ListeningAddress(cp.output());
    ASSERT_THAT(address, Not(HasSubstr(":0")));

    admin::GetStatusResponse status;
    ASSERT_TRUE(IsOk(GetStatus(address, kAdminToken, &status)));
    EXPECT_EQ(status.config_version(), 1);
    EXPECT_TRUE(
        HasCode(GetStatus(address, kWorkerToken, &status), grpc::StatusCode::UNAUTHENTICATED));
    ASSERT_TRUE(IsOk(CreateTeam(address, "search")));
    const std::string services = ListServicesByReflection(address);
    EXPECT_THAT(services, HasSubstr("gateway.admin.v1.Admin"));
    EXPECT_THAT(services, HasSubstr("gateway.discovery.v1.ConfigDiscovery"));

    // A second control plane cannot share the port.
    ChildProcess second({kBinary, "--listen", address, "--db", dir.File("other.db")},
                        {kAdminEnv, kWorkerEnv});
    EXPECT_EQ(second.WaitForExit(kStartDeadline), 1) << second.output();
    EXPECT_THAT(second.output(), HasSubstr("cannot listen on " + address));

    cp.Signal(SIGTERM);
    EXPECT_EQ(cp.WaitForExit(kStartDeadline), 0) << cp.output();
    EXPECT_THAT(cp.output(), HasSubstr("database " + db));
    EXPECT_THAT(cp.output(), Not(HasSubstr(kAdminToken)));
    EXPECT_THAT(cp.output(), Not(HasSubstr(kWorkerToken)));
  }
  // Restarted on the same database (tokens from files this time), the state is still there.
  {
    std::ofstream(dir.File("admin.token")) << kAdminToken << "\n";
    std::ofstream(dir.File("worker.token")) << kWorkerToken << "\n";
    ChildProcess cp({kBinary, "--listen", "127.0.0.1:0", "--db", db, "--log-format", "json",
                     "--admin-token-file", dir.File("admin.token"), "--worker-token-file",
                     dir.File("worker.token")},
                    {});
    ASSERT_TRUE(cp.WaitForOutput("listening grpc on 127.0.0.1:", kStartDeadline)) << cp.output();
    EXPECT_THAT(cp.output(), HasSubstr("\"msg\":\"listening grpc on 127.0.0.1:"));
    admin::GetStatusResponse status;
    ASSERT_TRUE(IsOk(GetStatus(ListeningAddress(cp.output()), kAdminToken, &status)));
    EXPECT_EQ(status.config_version(), 2);
    cp.Signal(SIGINT);
    EXPECT_EQ(cp.WaitForExit(kStartDeadline), 0) << cp.output();
  }
}

TEST(ControlPlaneMainTest, RefusesADatabaseFromANewerBinary) {
  TempDir dir;
  const std::string db = dir.File("gateway.db");
  {
    ChildProcess cp({kBinary, "--listen", "127.0.0.1:0", "--db", db}, {kAdminEnv, kWorkerEnv});
    ASSERT_TRUE(cp.WaitForOutput("listening grpc on", kStartDeadline)) << cp.output();
    cp.Signal(SIGTERM);
    ASSERT_EQ(cp.WaitForExit(kStartDeadline), 0) << cp.output();
  }
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> connection(raw, &sqlite3_close);
  ASSERT_EQ(sqlite3_exec(raw,
                         "INSERT INTO schema_migrations (version, name, applied_at) "
                         "VALUES (9999, 'from_the_future', 0)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  connection.reset();

  ChildProcess cp({kBinary, "--listen", "127.0.0.1:0", "--db", db}, {kAdminEnv, kWorkerEnv});
  EXPECT_EQ(cp.WaitForExit(kStartDeadline), 1) << cp.output();
  EXPECT_THAT(cp.output(), HasSubstr("is newer than"));
  EXPECT_THAT(cp.output(), Not(HasSubstr("listening grpc")));
}

TEST(ControlPlaneMainTest, RefusesToStartWithoutTwoDistinctTokens) {
  TempDir dir;
  const std::vector<std::string> args = {kBinary, "--listen", "127.0.0.1:0", "--db",
                                         dir.File("gateway.db")};
  {
    ChildProcess cp(args, {kWorkerEnv});
    EXPECT_EQ(cp.WaitForExit(kStartDeadline), 2) << cp.output();
    EXPECT_THAT(cp.output(), HasSubstr("GW_ADMIN_TOKEN"));
  }
  {
    ChildProcess cp(args, {kAdminEnv});
    EXPECT_EQ(cp.WaitForExit(kStartDeadline), 2) << cp.output();
    EXPECT_THAT(cp.output(), HasSubstr("GW_WORKER_TOKEN"));
  }
  {
    ChildProcess cp(args, {kAdminEnv, std::string("GW_WORKER_TOKEN=") + kAdminToken});
    EXPECT_EQ(cp.WaitForExit(kStartDeadline), 2) << cp.output();
    EXPECT_THAT(cp.output(), HasSubstr("the same"));
    EXPECT_THAT(cp.output(), Not(HasSubstr(kAdminToken)));
  }
  {
    ChildProcess cp({kBinary, "--admin-token-file", dir.File("missing.token")},
                    {kAdminEnv, kWorkerEnv});
    EXPECT_EQ(cp.WaitForExit(kStartDeadline), 2) << cp.output();
  }
}

TEST(ControlPlaneMainTest, RefusesBadFlagsAsUsageErrors) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{kBinary, "--no-such-flag"},
                                             {kBinary, "--log-format", "xml"},
                                             {kBinary, "--listen", "7070"},
                                             {kBinary, "--listen", "127.0.0.1:http"}}) {
    ChildProcess cp(args, {kAdminEnv, kWorkerEnv});
    EXPECT_EQ(cp.WaitForExit(kStartDeadline), 2) << cp.output();
  }
  ChildProcess help({kBinary, "--help"}, {});
  EXPECT_EQ(help.WaitForExit(kStartDeadline), 0);
  EXPECT_THAT(help.output(), HasSubstr("--worker-token-file"));
}

}  // namespace
}  // namespace gw::testing
