// The gateway's real binaries as test fixtures: a control plane on a temporary database, workers
// with their own state dirs, and gwctl, all on loopback ports the processes choose themselves.
//   ControlPlaneProcess cp(dir); ASSERT_OK(cp.Start()); Gwctl gwctl(cp); gwctl.Json({"status"});
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/json.hpp"
#include "tests/integration/harness/harness.h"

namespace gw::testing {

inline constexpr char kAdminToken[] = "admin-token-for-tests-0123456789";
inline constexpr char kWorkerToken[] = "worker-token-for-tests-012345678";

// SIGTERM, then fails unless the process exits 0 within `timeout` (CONTRACTS.md: drain, flush,
// exit 0); the error carries the log. The process is gone afterwards. No-op when empty.
absl::Status StopCleanly(std::optional<Process>& process,
                         absl::Duration timeout = absl::Seconds(20));

// gw-control-plane with its own database under `dir`; restartable on the same database.
class ControlPlaneProcess {
 public:
  explicit ControlPlaneProcess(const TempDir& dir, const std::string& db_name = "gateway.db");

  // Starts on 127.0.0.1:0, or on `address` (to come back on the same port after a kill).
  absl::Status Start(const std::string& address = "127.0.0.1:0");
  // SIGTERM and expect exit code 0.
  absl::Status Stop();
  // SIGKILL, no questions asked.
  void Kill();

  const std::string& address() const { return address_; }
  const std::string& db() const { return db_; }
  std::string Log() const { return process_ ? process_->Log() : std::string(); }

 private:
  std::string db_;
  std::string admin_token_file_;
  std::string worker_token_file_;
  std::optional<Process> process_;
  std::string address_;
};

// gw-data-plane with its own state dir under `dir`.
class WorkerProcess {
 public:
  WorkerProcess(const TempDir& dir, const std::string& name);

  absl::Status Start(const std::string& control_plane_address);
  absl::Status Stop();
  void Kill();

  const std::string& http_address() const { return http_address_; }
  const std::string& state_dir() const { return state_dir_; }
  std::string Log() const { return process_ ? process_->Log() : std::string(); }

 private:
  std::string state_dir_;
  std::string token_file_;
  std::optional<Process> process_;
  std::string http_address_;
};

// gwctl against one control plane, with the admin token.
class Gwctl {
 public:
  explicit Gwctl(const ControlPlaneProcess& cp) : cp_(&cp) {}

  // Global flags first; `token` overrides the admin token.
  CommandResult Run(const std::vector<std::string>& args,
                    const std::string& token = kAdminToken) const;
  // Runs with `-o json`; fails unless the command exits 0 with valid JSON.
  absl::StatusOr<boost::json::value> Json(std::vector<std::string> args) const;
  // The control plane's config version from `gwctl status`.
  absl::StatusOr<int64_t> Version() const;
  // Fails the current test unless `args` exit 0 (with gwctl's stderr as the reason).
  void MustRun(const std::vector<std::string>& args) const;
  // `gwctl key create --team <team>`: the new key's secret.
  absl::StatusOr<std::string> CreateKey(const std::string& team) const;

 private:
  const ControlPlaneProcess* cp_;
};

// How a test starts its own gw-data-plane: the common flags, then `extra_flags`.
struct DataPlaneOptions {
  std::string control_plane_address;
  std::string state_dir;
  std::string worker_token_file;
  int threads = 1;  // 0 leaves --threads out: the binary's own default.
  std::vector<std::string> extra_flags;
  EnvVars env;
};

// Starts gw-data-plane listening for HTTP and gRPC on ports of its own choosing.
absl::StatusOr<Process> StartDataPlane(const DataPlaneOptions& options);

// Where a gw-data-plane from StartDataPlane listens.
struct DataPlaneAddresses {
  std::string http;
  std::string grpc;
};

// Waits (up to `timeout` for each) until the worker announces its HTTP, then its gRPC listener.
absl::StatusOr<DataPlaneAddresses> WaitForDataPlaneListen(Process& worker, absl::Duration timeout);

// Polls the worker's /readyz at `http_address` until it serves config `version`.
absl::Status WaitUntilReadyAt(const std::string& http_address, int64_t version,
                              absl::Duration timeout);

}  // namespace gw::testing
