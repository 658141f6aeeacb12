// gw-data-plane: a worker of the gateway. It follows the control plane's config snapshots over
// ConfigDiscovery (starting from the last persisted one when the control plane is unreachable)
// and serves applications over HTTP and gRPC (one pipeline for both). Flags per CONTRACTS.md;
// --access-log per docs/access-log.md.
#include <pthread.h>
#include <signal.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/logging.h"
#include "common/names.h"
#include "common/status_macros.h"
#include "data_plane/config/budget_state_slot.h"
#include "data_plane/config/discovery_client.h"
#include "data_plane/config/key_revocation_slot.h"
#include "data_plane/config/snapshot_applier.h"
#include "data_plane/config/snapshot_store.h"
#include "data_plane/config/state_dir.h"
#include "data_plane/config/worker_token.h"
#include "data_plane/endpoints/worker_routes.h"
#include "data_plane/grpc/grpc_inference_server.h"
#include "data_plane/observability/access_log.h"
#include "data_plane/server/http_server.h"
#include "data_plane/server/listen_address.h"
#include "data_plane/stages/usage/access_logging_sink.h"
#include "data_plane/stages/usage/usage_reporter_sink.h"
#include "data_plane/upstream/tls_client_context.h"
#include "data_plane/usage/usage_reporter.h"
#include "data_plane/usage/usage_spool.h"
#include "spdlog/spdlog.h"

namespace gw::dp {
namespace {

constexpr absl::Duration kDrainTimeout = absl::Seconds(10);
// After the drain: how long SIGTERM waits for the control plane to acknowledge the spool.
constexpr absl::Duration kUsageFlushTimeout = absl::Seconds(5);

struct Flags {
  std::string control_plane = "127.0.0.1:7070";
  std::string http_listen = "127.0.0.1:8080";
  std::string grpc_listen = "127.0.0.1:8081";
  std::string state_dir = "var/worker-1";
  std::string worker_id;
  std::string worker_token_file;
  std::string log_format = "text";
  int threads = 0;
  uint64_t max_body_bytes = 32 * 1024 * 1024;
  // Provider call timeouts in milliseconds (defaults: upstream_timeouts.h).
  int64_t upstream_connect_timeout_ms = 10'000;
  int64_t upstream_first_byte_timeout_ms = 120'000;
  int64_t upstream_idle_timeout_ms = 60'000;
  int64_t upstream_total_timeout_ms = 600'000;
  std::string upstream_ca_file;
  std::string access_log;  // Empty: none.
};

// Blocks the signals the main thread handles (SIGINT and SIGTERM: drain and exit; SIGHUP: reopen
// the access log) in every thread (the ones started later inherit the mask), so that only the
// main thread's sigwait sees them.
sigset_t BlockHandledSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return signals;
}

WorkerRoutesOptions RoutesOptionsOf(const Flags& flags) {
  WorkerRoutesOptions options;
  options.max_body_bytes = flags.max_body_bytes;
  options.upstream_timeouts.connect = absl::Milliseconds(flags.upstream_connect_timeout_ms);
  options.upstream_timeouts.first_byte = absl::Milliseconds(flags.upstream_first_byte_timeout_ms);
  options.upstream_timeouts.idle = absl::Milliseconds(flags.upstream_idle_timeout_ms);
  options.upstream_timeouts.total = absl::Milliseconds(flags.upstream_total_timeout_ms);
  options.upstream_client.tls.extra_ca_file = flags.upstream_ca_file;
  return options;
}

absl::Status Run(const Flags& flags, const sigset_t& handled_signals) {
  GW_RETURN_IF_ERROR(ParseListenAddress(flags.grpc_listen, "--grpc-listen").status());
  GW_RETURN_IF_ERROR(ParseListenAddress(flags.control_plane, "--control-plane").status());
  GW_RETURN_IF_ERROR(EnsureDirectory(flags.state_dir));
  GW_ASSIGN_OR_RETURN(const std::string token, LoadWorkerToken(flags.worker_token_file));
  if (!flags.upstream_ca_file.empty()) {
    // Each I/O thread loads it on its first upstream call; a bad file must stop the start, not
    // turn every call into a 502.
    TlsClientOptions tls;
    tls.extra_ca_file = flags.upstream_ca_file;
    GW_RETURN_IF_ERROR(MakeTlsClientContext(tls).status());
  }
  std::string worker_id = flags.worker_id;
  if (!worker_id.empty()) {
    GW_RETURN_IF_ERROR(ValidateName("--worker-id", worker_id));
  } else {
    GW_ASSIGN_OR_RETURN(worker_id, LoadOrCreateWorkerId(flags.state_dir));
  }

  // Opened before anything starts, so a bad path stops the start. It outlives the router, whose
  // usage stage appends to it.
  std::unique_ptr<AccessLog> access_log;
  if (!flags.access_log.empty()) {
    absl::StatusOr<std::unique_ptr<AccessLog>> opened = AccessLog::Open({.path = flags.access_log});
    if (!opened.ok()) {
      return absl::Status(opened.status().code(),
                          absl::StrCat("--access-log: ", opened.status().message()));
    }
    access_log = *std::move(opened);
    spdlog::info("access log: {}", flags.access_log);
  }

  SnapshotStore snapshots;
  BudgetStateSlot budget_state;
  KeyRevocationSlot key_revocations;
  SnapshotApplier applier(&snapshots, flags.state_dir);
  applier.RestorePersisted();

  // Usage records stay in the spool until the control plane acknowledged them, across restarts.
  GW_ASSIGN_OR_RETURN(const std::unique_ptr<UsageSpool> usage_spool,
                      UsageSpool::Open({.directory = flags.state_dir + "/usage-spool"}));
  UsageReporterOptions reporter_options;
  reporter_options.control_plane = flags.control_plane;
  reporter_options.worker_token = token;
  reporter_options.worker_id = worker_id;
  UsageReporter usage_reporter(reporter_options, usage_spool.get());
  usage_reporter.Start();

  WorkerRoutesOptions routes_options = RoutesOptionsOf(flags);
  std::shared_ptr<UsageSink> usage_sink = std::make_shared<UsageReporterSink>(&usage_reporter);
  if (access_log != nullptr) {
    usage_sink = std::make_shared<AccessLoggingSink>(access_log.get(), std::move(usage_sink));
  }
  routes_options.usage_sink = std::move(usage_sink);
  routes_options.worker_id = worker_id;
  routes_options.budget_state = &budget_state;
  routes_options.key_revocations = &key_revocations;
  routes_options.worker_token = token;
  const std::unique_ptr<Router> router = BuildWorkerRouter(routes_options);
  HttpServerOptions http_options;
  http_options.listen = flags.http_listen;
  http_options.threads = flags.threads;
  http_options.limits.max_body_bytes = flags.max_body_bytes;
  HttpServer http(http_options, *router, snapshots);
  GW_RETURN_IF_ERROR(http.Start());
  spdlog::info(
      "listening http on {} ({} threads)", http.address(),
      flags.threads > 0 ? flags.threads : static_cast<int>(std::thread::hardware_concurrency()));

  // gRPC calls run through the HTTP pipelines on the HTTP server's threads.
  GrpcInferenceServerOptions grpc_options;
  grpc_options.listen = flags.grpc_listen;
  grpc_options.service.router = router.get();
  grpc_options.service.snapshots = &snapshots;
  grpc_options.service.pick_executor = [&http] { return http.NextExecutor(); };
  grpc_options.service.max_body_bytes = flags.max_body_bytes;
  GrpcInferenceServer grpc_server(grpc_options);
  GW_RETURN_IF_ERROR(grpc_server.Start());
  spdlog::info("listening grpc on {}", grpc_server.address());

  DiscoveryClientOptions discovery_options;
  discovery_options.control_plane = flags.control_plane;
  discovery_options.worker_token = token;
  discovery_options.worker_id = worker_id;
  discovery_options.node_address = http.address();
  discovery_options.build_version = GW_VERSION;
  DiscoveryClient discovery(discovery_options, &applier, &budget_state, &key_revocations);
  discovery.Start();
  spdlog::info("worker {} following the control plane at {}", worker_id, flags.control_plane);

  int signal_number = 0;
  while (true) {
    sigwait(&handled_signals, &signal_number);
    if (signal_number != SIGHUP) break;
    // logrotate renamed the file (or an operator asks for a reopen): later lines go to the path.
    if (access_log == nullptr) {
      spdlog::info("received SIGHUP: no access log to reopen");
    } else if (absl::Status reopened = access_log->Reopen(); !reopened.ok()) {
      spdlog::error("received SIGHUP: {}; still writing to the previous file", reopened.ToString());
    } else {
      spdlog::info("received SIGHUP: reopened the access log {}", flags.access_log);
    }
  }
  spdlog::info("received signal {}: draining (up to {} s)", signal_number,
               absl::ToInt64Seconds(kDrainTimeout));
  // gRPC first: its calls run on the HTTP threads, which must outlive them.
  grpc_server.Stop(kDrainTimeout);
  http.Stop(kDrainTimeout);
  // Every drained request has submitted its record (and appended its access log line) by now.
  if (access_log != nullptr) {
    if (absl::Status flushed = access_log->Flush(); !flushed.ok()) {
      spdlog::error("access log lines lost at shutdown: {}", flushed.ToString());
    }
  }
  if (absl::Status flushed = usage_reporter.Flush(absl::Now() + kUsageFlushTimeout);
      !flushed.ok()) {
    spdlog::warn("usage records not yet acknowledged stay in the spool for the next start: {}",
                 flushed.ToString());
  }
  usage_reporter.Stop();
  discovery.Stop();
  spdlog::info("stopped");
  return absl::OkStatus();
}

}  // namespace
}  // namespace gw::dp

int main(int argc, char** argv) {
  const sigset_t handled_signals = gw::dp::BlockHandledSignals();
  gw::dp::Flags flags;
  CLI::App app{"gw-data-plane: a gateway worker serving the OpenAI-compatible API"};
  app.add_option("--control-plane", flags.control_plane, "control plane host:port")
      ->capture_default_str();
  app.add_option("--http-listen", flags.http_listen, "HTTP listen host:port (port 0: any)")
      ->capture_default_str();
  app.add_option("--grpc-listen", flags.grpc_listen, "gRPC Inference listen host:port")
      ->capture_default_str();
  app.add_option("--state-dir", flags.state_dir, "worker state (created if missing)")
      ->capture_default_str();
  app.add_option("--worker-id", flags.worker_id, "default: generated once, kept in --state-dir");
  app.add_option("--worker-token-file", flags.worker_token_file,
                 "file with the worker token (default: $GW_WORKER_TOKEN)");
  app.add_option("--log-format", flags.log_format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.add_option("--threads", flags.threads, "HTTP threads (default: one per hardware thread)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--max-body-bytes", flags.max_body_bytes, "largest request body accepted")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--upstream-connect-timeout-ms", flags.upstream_connect_timeout_ms,
                 "provider calls: DNS, TCP and TLS together")
      ->check(CLI::PositiveNumber);
  app.add_option("--upstream-first-byte-timeout-ms", flags.upstream_first_byte_timeout_ms,
                 "provider calls: request sent until the first response body byte")
      ->check(CLI::PositiveNumber);
  app.add_option("--upstream-idle-timeout-ms", flags.upstream_idle_timeout_ms,
                 "provider calls: longest silence between two body reads (streams)")
      ->check(CLI::PositiveNumber);
  app.add_option("--upstream-total-timeout-ms", flags.upstream_total_timeout_ms,
                 "provider calls: the whole non-streaming call")
      ->check(CLI::PositiveNumber);
  app.add_option("--upstream-ca-file", flags.upstream_ca_file,
                 "PEM CA certificates trusted for providers besides the system store");
  app.add_option("--access-log", flags.access_log,
                 "append one JSON line per /v1 request to this file; SIGHUP reopens it "
                 "(default: no access log)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (absl::Status logging = gw::InitLogging(flags.log_format, "gw-data-plane"); !logging.ok()) {
    std::fprintf(stderr, "gw-data-plane: %s\n", logging.ToString().c_str());
    return 2;
  }
  if (absl::Status run = gw::dp::Run(flags, handled_signals); !run.ok()) {
    spdlog::critical("{}", run.ToString());
    return 1;
  }
  return 0;
}
