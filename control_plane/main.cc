// gw-control-plane: the gateway's control plane. Serves the Admin, ConfigDiscovery and
// UsageReporting gRPC APIs on one port over the SQLite store; flags per CONTRACTS.md.
//   GW_ADMIN_TOKEN=... GW_WORKER_TOKEN=... gw-control-plane --listen 127.0.0.1:7070

#include <pthread.h>

#include <csignal>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/time/time.h"
#include "common/logging.h"
#include "control_plane/auth/token_auth.h"
#include "control_plane/control_plane.h"
#include "spdlog/spdlog.h"

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr absl::Duration kShutdownGrace = absl::Seconds(5);

struct Flags {
  std::string listen = "127.0.0.1:7070";
  std::string db = "var/gateway.db";
  std::string admin_token_file;
  std::string worker_token_file;
  std::string log_format = "text";
};

std::string_view View(absl::string_view text) { return std::string_view(text.data(), text.size()); }

// CLI11 validator: "" when `address` is host:port with a port in 0..65535.
std::string ListenAddressProblem(std::string& address) {
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(absl::string_view(address).substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return "expected host:port, e.g. 127.0.0.1:7070";
  }
  return "";
}

// Reads both tokens; a missing token or one shared by both roles stops the start.
bool LoadTokens(const Flags& flags, gw::cp::ControlPlaneOptions& options) {
  absl::StatusOr<std::string> admin = gw::cp::LoadToken(flags.admin_token_file, "GW_ADMIN_TOKEN");
  if (!admin.ok()) {
    spdlog::error("cannot start: admin token: {}", View(admin.status().message()));
    return false;
  }
  absl::StatusOr<std::string> worker =
      gw::cp::LoadToken(flags.worker_token_file, "GW_WORKER_TOKEN");
  if (!worker.ok()) {
    spdlog::error("cannot start: worker token: {}", View(worker.status().message()));
    return false;
  }
  if (*admin == *worker) {
    spdlog::error(
        "cannot start: the admin and worker tokens are the same; give each role its own token");
    return false;
  }
  options.admin_token = *std::move(admin);
  options.worker_token = *std::move(worker);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  CLI::App app{
      "gw-control-plane: the AI gateway's control plane (Admin, ConfigDiscovery and "
      "UsageReporting gRPC APIs on one port)"};
  app.add_option("--listen", flags.listen, "gRPC listen address host:port (port 0: any free port)")
      ->capture_default_str()
      ->check(CLI::Validator(ListenAddressProblem, "HOST:PORT"));
  app.add_option("--db", flags.db, "SQLite database file (created with its directory if missing)")
      ->capture_default_str();
  app.add_option("--admin-token-file", flags.admin_token_file,
                 "file holding the admin token (default: $GW_ADMIN_TOKEN)");
  app.add_option("--worker-token-file", flags.worker_token_file,
                 "file holding the worker token (default: $GW_WORKER_TOKEN)");
  app.add_option("--log-format", flags.log_format, "text or json")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : kExitUsage;
  }

  if (absl::Status logging = gw::InitLogging(flags.log_format, "gw-control-plane"); !logging.ok()) {
    spdlog::error("cannot start: {}", View(logging.message()));
    return kExitUsage;
  }

  // Blocked before any thread starts, so every thread inherits the mask and only sigwait below
  // sees SIGTERM and SIGINT.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  gw::cp::ControlPlaneOptions options;
  options.listen_address = flags.listen;
  options.db_path = flags.db;
  if (!LoadTokens(flags, options)) return kExitUsage;

  const std::filesystem::path db_dir = std::filesystem::path(flags.db).parent_path();
  if (std::error_code error;
      !db_dir.empty() && !std::filesystem::create_directories(db_dir, error) && error) {
    spdlog::error("cannot start: cannot create the database directory {}: {}", db_dir.string(),
                  error.message());
    return kExitFailure;
  }

  absl::StatusOr<std::unique_ptr<gw::cp::ControlPlane>> control_plane =
      gw::cp::ControlPlane::Start(options);
  if (!control_plane.ok()) {
    spdlog::error("cannot start: {}", View(control_plane.status().message()));
    return kExitFailure;
  }
  spdlog::info("gw-control-plane {} started: database {}, config version {}", GW_VERSION, flags.db,
               (*control_plane)->store().Current()->version());
  spdlog::info("listening grpc on {}", (*control_plane)->address());

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("received {}, shutting down (in-flight calls get {} s)",
               signal_number == SIGTERM ? "SIGTERM" : "SIGINT",
               absl::ToInt64Seconds(kShutdownGrace));
  (*control_plane)->Shutdown(kShutdownGrace);
  spdlog::info("stopped");
  return 0;
}
