// gwctl against the real gw-control-plane (built from this tree) on a loopback port: the
// documented YAML example applies, export and apply round-trip, and team flags map as promised.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "boost/json.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli/gwctl_runner.h"

extern char** environ;

namespace gw::testing {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kAdminToken[] = "cli-test-admin-token-0123456789";
constexpr char kWorkerToken[] = "cli-test-worker-token-0123456789";

std::string ReadAll(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

void WriteAll(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// The first ```yaml block of docs/gateway-yaml.md.
std::string DocumentedExample() {
  const std::string doc = ReadAll(GW_SOURCE_DIR "/docs/gateway-yaml.md");
  const size_t start = doc.find("```yaml\n");
  if (start == std::string::npos) return "";
  const size_t body = start + 8;
  return doc.substr(body, doc.find("```", body) - body);
}

// A port the kernel just had free; a tiny window remains before the server binds it.
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), len);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// gw-control-plane on a free loopback port with a fresh database; stopped with SIGTERM when
// destroyed.
class ControlPlane {
 public:
  ControlPlane() {
    std::string pattern = ::testing::TempDir() + "gwctl-cp-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) return;
    dir_ = pattern;
    log_path_ = dir_ + "/cp.log";
    const std::string candidate_address = absl::StrCat("127.0.0.1:", FreePort());
    std::vector<std::string> args = {GW_BIN_DIR "/gw-control-plane", "--listen", candidate_address,
                                     "--db", dir_ + "/gateway.db"};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // The test's own environment (minus GW_* settings) plus the two tokens.
    std::vector<std::string> env = {absl::StrCat("GW_ADMIN_TOKEN=", kAdminToken),
                                    absl::StrCat("GW_WORKER_TOKEN=", kWorkerToken)};
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::string_view(*e).substr(0, 3) != "GW_") env.emplace_back(*e);
    }
    std::vector<char*> envp;
    for (std::string& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data()) != 0) pid_ = 0;
    posix_spawn_file_actions_destroy(&actions);
    // Ready once gwctl gets an answer, polled with a deadline.
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (pid_ != 0 && absl::Now() < deadline) {
      const GwctlResult status =
          RunGwctl({"status"}, {{"GWCTL_SERVER", candidate_address}, {"GWCTL_TOKEN", kAdminToken}});
      if (status.exit_code == 0) {
        address_ = candidate_address;
        break;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
  }
  ~ControlPlane() {
    if (pid_ != 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    if (!dir_.empty()) {
      for (const char* name : {"/cp.log", "/gateway.db", "/gateway.db-wal", "/gateway.db-shm"}) {
        std::remove((dir_ + name).c_str());
      }
      rmdir(dir_.c_str());
    }
  }
  ControlPlane(const ControlPlane&) = delete;
  ControlPlane& operator=(const ControlPlane&) = delete;

  const std::string& address() const { return address_; }
  const std::string& dir() const { return dir_; }
  std::string Log() const { return ReadAll(log_path_); }

 private:
  pid_t pid_ = 0;
  std::string dir_;
  std::string log_path_;
  std::string address_;
};

class RealServerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(cp_.address().empty()) << cp_.Log(); }

  GwctlResult Run(const std::vector<std::string>& args) {
    return RunGwctl(args, {{"GWCTL_SERVER", cp_.address()}, {"GWCTL_TOKEN", kAdminToken}});
  }

  json::value Json(std::vector<std::string> args) {
    args.insert(args.begin(), {"-o", "json"});
    const GwctlResult result = Run(args);
    EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
    boost::system::error_code ec;
    json::value value = json::parse(result.stdout_text, ec);
    EXPECT_FALSE(ec) << result.stdout_text;
    return value;
  }

  std::string File(const std::string& name, const std::string& text) {
    const std::string path = cp_.dir() + "/" + name;
    WriteAll(path, text);
    files_.push_back(path);
    return path;
  }

  void TearDown() override {
    for (const std::string& f : files_) std::remove(f.c_str());
  }

  ControlPlane cp_;
  std::vector<std::string> files_;
};

TEST_F(RealServerTest, DocumentedExampleAppliesAndExportRoundTrips) {
  const std::string example = DocumentedExample();
  ASSERT_THAT(example, HasSubstr("teams:"));
  const std::string file = File("example.yaml", example);

  json::object dry = Json({"apply", "-f", file, "--dry-run"}).as_object();
  EXPECT_EQ(dry.at("config_version"), 1);
  EXPECT_FALSE(dry.at("changes").as_array().empty());
  EXPECT_EQ(Json({"status"}).as_object().at("config_version"), 1);

  json::object applied = Json({"apply", "-f", file}).as_object();
  const int64_t version = applied.at("config_version").as_int64();
  EXPECT_GT(version, 1);

  // The server keeps the exact money and the explicit values.
  json::object search = Json({"team", "get", "search"}).as_object();
  EXPECT_EQ(search.at("monthly_budget_usd"), "1250.500000");
  EXPECT_EQ(search.at("rpm"), 600);
  json::object ads = Json({"team", "get", "ads"}).as_object();
  EXPECT_EQ(ads.at("rpm"), 60);
  EXPECT_TRUE(ads.at("monthly_budget_usd").is_null());

  // Its export reapplies as no change at all, and exports the same text again.
  const GwctlResult exported = Run({"export"});
  ASSERT_EQ(exported.exit_code, 0) << exported.stderr_text;
  const std::string exported_file = File("exported.yaml", exported.stdout_text);
  json::object again = Json({"apply", "-f", exported_file}).as_object();
  EXPECT_EQ(again.at("config_version"), version);
  EXPECT_THAT(again.at("changes").as_array(), IsEmpty());
  EXPECT_EQ(Run({"export"}).stdout_text, exported.stdout_text);
  EXPECT_THAT(exported.stdout_text, Not(HasSubstr("key")));
}

TEST_F(RealServerTest, ImperativeTeamsExportOnlyWhatWasSet) {
  ASSERT_EQ(Run({"team", "create", "plain"}).exit_code, 0);
  ASSERT_EQ(Run({"team", "create", "tuned", "--tpm", "7000"}).exit_code, 0);
  ASSERT_EQ(Run({"team", "update", "tuned", "--budget-monthly-usd", "10"}).exit_code, 0);
  const GwctlResult exported = Run({"export"});
  ASSERT_EQ(exported.exit_code, 0);
  EXPECT_THAT(exported.stdout_text, HasSubstr("  - name: plain\n    tier: standard\n  - name"));
  EXPECT_THAT(exported.stdout_text, HasSubstr("tpm: 7000"));
  EXPECT_THAT(exported.stdout_text, HasSubstr("monthly_budget_usd: \"10.00\""));
  EXPECT_THAT(exported.stdout_text, Not(HasSubstr("rpm")));

  // Created imperatively, applied from its own export: nothing to change.
  const std::string file = File("teams.yaml", exported.stdout_text);
  EXPECT_THAT(Json({"apply", "-f", file}).as_object().at("changes").as_array(), IsEmpty());

  // Clearing with "none" is visible in get and export.
  ASSERT_EQ(Run({"team", "update", "tuned", "--budget-monthly-usd", "none"}).exit_code, 0);
  EXPECT_TRUE(Json({"team", "get", "tuned"}).as_object().at("monthly_budget_usd").is_null());
  EXPECT_THAT(Run({"export"}).stdout_text, Not(HasSubstr("monthly_budget_usd")));
}

TEST_F(RealServerTest, RefusalsExitOneWithOneLine) {
  const GwctlResult missing = Run({"team", "get", "nobody"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(NonEmptyLines(missing.stderr_text).size(), 1u) << missing.stderr_text;
  EXPECT_THAT(missing.stderr_text, HasSubstr("nobody"));

  const GwctlResult bad_token =
      RunGwctl({"team", "list"}, {{"GWCTL_SERVER", cp_.address()}, {"GWCTL_TOKEN", "wrong-one"}});
  EXPECT_EQ(bad_token.exit_code, 1);
  EXPECT_THAT(bad_token.stderr_text, Not(HasSubstr("wrong-one")));
  EXPECT_EQ(NonEmptyLines(bad_token.stderr_text).size(), 1u);

  const GwctlResult price = Run({"pricing", "set", "nope", "--input", "two", "--output", "1"});
  EXPECT_EQ(price.exit_code, 1);
  EXPECT_EQ(NonEmptyLines(price.stderr_text).size(), 1u);
}

}  // namespace
}  // namespace gw::testing
