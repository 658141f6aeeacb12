#include "tests/integration/harness/stack.h"

#include <csignal>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/integration/harness/http_client.h"
#include "tests/integration/harness/poll.h"

namespace gw::testing {

namespace {

void KillProcess(std::optional<Process>& process) {
  if (!process) return;
  (void)process->Signal(SIGKILL);
  (void)process->Wait(absl::Seconds(10));
  process.reset();
}

}  // namespace

absl::Status StopCleanly(std::optional<Process>& process, absl::Duration timeout) {
  if (!process) return absl::OkStatus();
  if (absl::Status s = process->Signal(SIGTERM); !s.ok()) return s;
  absl::StatusOr<int> code = process->Wait(timeout);
  if (!code.ok()) return code.status();
  if (*code != 0) {
    return absl::InternalError(
        absl::StrCat("exit code ", *code, " after SIGTERM\n", process->Log()));
  }
  process.reset();
  return absl::OkStatus();
}

ControlPlaneProcess::ControlPlaneProcess(const TempDir& dir, const std::string& db_name)
    : db_(absl::StrCat(dir.path(), "/", db_name)),
      admin_token_file_(absl::StrCat(dir.path(), "/admin-token")),
      worker_token_file_(absl::StrCat(dir.path(), "/worker-token")) {
  (void)WriteFile(admin_token_file_, absl::StrCat(kAdminToken, "\n"));
  (void)WriteFile(worker_token_file_, kWorkerToken);
}

absl::Status ControlPlaneProcess::Start(const std::string& address) {
  absl::StatusOr<Process> process = Process::Start(
      {BinaryPath("gw-control-plane"), "--listen", address, "--db", db_, "--admin-token-file",
       admin_token_file_, "--worker-token-file", worker_token_file_});
  if (!process.ok()) return process.status();
  process_.emplace(*std::move(process));
  absl::StatusOr<std::string> bound = process_->WaitForListen("grpc", absl::Seconds(20));
  if (!bound.ok()) return bound.status();
  address_ = *bound;
  return absl::OkStatus();
}

absl::Status ControlPlaneProcess::Stop() { return StopCleanly(process_); }
void ControlPlaneProcess::Kill() { KillProcess(process_); }

WorkerProcess::WorkerProcess(const TempDir& dir, const std::string& name)
    : state_dir_(absl::StrCat(dir.path(), "/", name)),
      token_file_(absl::StrCat(dir.path(), "/", name, "-token")) {
  (void)WriteFile(token_file_, kWorkerToken);
}

absl::Status WorkerProcess::Start(const std::string& control_plane_address) {
  absl::StatusOr<Process> process = StartDataPlane({.control_plane_address = control_plane_address,
                                                    .state_dir = state_dir_,
                                                    .worker_token_file = token_file_,
                                                    .threads = 1,
                                                    .extra_flags = {},
                                                    .env = {}});
  if (!process.ok()) return process.status();
  process_.emplace(*std::move(process));
  absl::StatusOr<std::string> bound = process_->WaitForListen("http", absl::Seconds(20));
  if (!bound.ok()) return bound.status();
  http_address_ = *bound;
  return absl::OkStatus();
}

absl::Status WorkerProcess::Stop() { return StopCleanly(process_); }
void WorkerProcess::Kill() { KillProcess(process_); }

CommandResult Gwctl::Run(const std::vector<std::string>& args, const std::string& token) const {
  std::vector<std::string> argv = {BinaryPath("gwctl"), "--server", cp_->address(), "--token",
                                   token};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<CommandResult> result = RunCommand(argv, absl::Seconds(30));
  if (!result.ok()) return CommandResult{-1, "", std::string(result.status().message())};
  return *result;
}

absl::StatusOr<boost::json::value> Gwctl::Json(std::vector<std::string> args) const {
  args.push_back("-o");
  args.push_back("json");
  CommandResult result = Run(args);
  if (result.exit_code != 0) {
    return absl::InternalError(absl::StrCat("gwctl ", absl::StrJoin(args, " "), " exited ",
                                            result.exit_code, ": ", result.stderr_text));
  }
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(result.stdout_text, ec);
  if (ec) return absl::InternalError(absl::StrCat("not JSON: ", result.stdout_text));
  return value;
}

absl::StatusOr<int64_t> Gwctl::Version() const {
  absl::StatusOr<boost::json::value> status = Json({"status"});
  if (!status.ok()) return status.status();
  return status->as_object().at("config_version").to_number<int64_t>();
}

absl::StatusOr<std::string> Gwctl::CreateKey(const std::string& team) const {
  absl::StatusOr<boost::json::value> key = Json({"key", "create", "--team", team});
  if (!key.ok()) return key.status();
  return std::string(key->as_object().at("key").as_string());
}

void Gwctl::MustRun(const std::vector<std::string>& args) const {
  CommandResult result = Run(args);
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
}

absl::StatusOr<Process> StartDataPlane(const DataPlaneOptions& options) {
  std::vector<std::string> argv = {BinaryPath("gw-data-plane"),
                                   "--control-plane",
                                   options.control_plane_address,
                                   "--http-listen",
                                   "127.0.0.1:0",
                                   "--grpc-listen",
                                   "127.0.0.1:0",
                                   "--state-dir",
                                   options.state_dir,
                                   "--worker-token-file",
                                   options.worker_token_file};
  if (options.threads != 0) {
    argv.push_back("--threads");
    argv.push_back(absl::StrCat(options.threads));
  }
  argv.insert(argv.end(), options.extra_flags.begin(), options.extra_flags.end());
  return Process::Start(std::move(argv), options.env);
}

absl::StatusOr<DataPlaneAddresses> WaitForDataPlaneListen(Process& worker, absl::Duration timeout) {
  absl::StatusOr<std::string> http = worker.WaitForListen("http", timeout);
  if (!http.ok()) return http.status();
  absl::StatusOr<std::string> grpc = worker.WaitForListen("grpc", timeout);
  if (!grpc.ok()) return grpc.status();
  return DataPlaneAddresses{*std::move(http), *std::move(grpc)};
}

absl::Status WaitUntilReadyAt(const std::string& http_address, int64_t version,
                              absl::Duration timeout) {
  int64_t served = -1;
  const bool ready = PollUntil(
      [&] {
        absl::StatusOr<HttpResponse> response = HttpRequest(http_address, "GET", "/readyz", {}, "");
        if (!response.ok() || response->status != 200) return false;
        boost::system::error_code ec;
        const boost::json::value body = boost::json::parse(response->body, ec);
        if (ec || !body.is_object() || !body.as_object().contains("config_version")) return false;
        served = body.as_object().at("config_version").to_number<int64_t>();
        return served == version;
      },
      timeout);
  if (ready) return absl::OkStatus();
  return absl::DeadlineExceededError(absl::StrCat("worker at ", http_address,
                                                  " not ready with config version ", version,
                                                  " (last seen ", served, ")"));
}

}  // namespace gw::testing
