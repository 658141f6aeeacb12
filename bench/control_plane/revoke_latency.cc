// cp_revoke_latency: how long a key revocation takes to reach every worker. Seeds a database
// with many teams and keys, starts the control plane and N workers (one HTTP thread each) on
// loopback, then for each round runs `gwctl key revoke` and polls every worker's GET /v1/models
// with that key, in parallel, until it answers 401. Prints key=value figures on stdout.
//   cp_revoke_latency --teams 10000 --keys 100000 --workers 10 --rounds 5
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/control_plane/seed_database.h"
#include "boost/json.hpp"
#include "common/status_macros.h"
#include "tests/integration/harness/http_client.h"
#include "tests/integration/harness/stack.h"

namespace gw::bench {
namespace {

using Clock = std::chrono::steady_clock;
using testing::ControlPlaneProcess;
using testing::Gwctl;
using testing::WorkerProcess;

struct Flags {
  int teams = 10'000;
  int keys = 100'000;
  int workers = 10;
  int rounds = 5;
  int poll_interval_ms = 10;
  int round_timeout_s = 30;
};

double MillisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::string Bearer(const std::string& key) { return absl::StrCat("Bearer ", key); }

// The worker's applied config version from /readyz; 0 before it applied one.
int64_t ReadyVersion(const std::string& address) {
  absl::StatusOr<testing::HttpResponse> response =
      testing::HttpRequest(address, "GET", "/readyz", {}, "", absl::Seconds(5));
  if (!response.ok() || response->status != 200) return 0;
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(response->body, ec);
  if (ec || !body.is_object()) return 0;
  const boost::json::value* version = body.as_object().if_contains("config_version");
  return version != nullptr && version->is_int64() ? version->as_int64() : 0;
}

int ModelsStatus(const std::string& address, const std::string& key) {
  absl::StatusOr<testing::HttpResponse> response = testing::HttpRequest(
      address, "GET", "/v1/models", {{"authorization", Bearer(key)}}, "", absl::Seconds(5));
  return response.ok() ? response->status : 0;
}

// "applied config version V (K keys, B bytes) in X ms": B and X of version `version` in `log`.
bool FindApplied(const std::string& log, int64_t version, int64_t* bytes, double* millis) {
  const std::string needle = absl::StrCat("applied config version ", version, " (");
  const size_t at = log.rfind(needle);
  if (at == std::string::npos) return false;
  const size_t keys_end = log.find(" keys, ", at);
  const size_t bytes_end = log.find(" bytes) in ", at);
  const size_t ms_end = log.find(" ms", bytes_end);
  if (keys_end == std::string::npos || bytes_end == std::string::npos ||
      ms_end == std::string::npos) {
    return false;
  }
  const size_t bytes_at = keys_end + 7;
  const size_t ms_at = bytes_end + 11;
  return absl::SimpleAtoi(log.substr(bytes_at, bytes_end - bytes_at), bytes) &&
         absl::SimpleAtod(log.substr(ms_at, ms_end - ms_at), millis);
}

struct Round {
  double max_ms = 0;    // gwctl start to the last worker's first 401.
  double min_ms = 0;    // ... to the first worker's.
  double gwctl_ms = 0;  // gwctl start to its exit.
  double apply_ms = 0;  // The slowest worker's own parse + validate + compile time.
};

absl::StatusOr<Round> RunRound(const Flags& flags, const Gwctl& gwctl,
                               std::vector<WorkerProcess>& workers, const SeededKey& key,
                               int64_t expected_version) {
  for (WorkerProcess& worker : workers) {
    if (int status = ModelsStatus(worker.http_address(), key.plaintext); status != 200) {
      return absl::FailedPreconditionError(
          absl::StrCat("key ", key.id, " answers ", status, " before its revocation"));
    }
  }
  std::atomic<bool> go{false};
  Clock::time_point start;
  std::vector<double> refused_after_ms(workers.size(), -1);
  std::vector<std::thread> pollers;
  const auto deadline = std::chrono::seconds(flags.round_timeout_s);
  for (size_t i = 0; i < workers.size(); ++i) {
    pollers.emplace_back([&, i] {
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      while (Clock::now() - start < deadline) {
        if (ModelsStatus(workers[i].http_address(), key.plaintext) == 401) {
          refused_after_ms[i] = MillisSince(start);
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(flags.poll_interval_ms));
      }
    });
  }
  start = Clock::now();
  go.store(true, std::memory_order_release);
  testing::CommandResult revoke = gwctl.Run({"key", "revoke", key.id});
  Round round;
  round.gwctl_ms = MillisSince(start);
  for (std::thread& poller : pollers) poller.join();
  if (revoke.exit_code != 0) {
    return absl::InternalError(absl::StrCat("gwctl key revoke failed: ", revoke.stderr_text));
  }
  round.max_ms = *std::max_element(refused_after_ms.begin(), refused_after_ms.end());
  round.min_ms = *std::min_element(refused_after_ms.begin(), refused_after_ms.end());
  if (round.min_ms < 0) {
    return absl::DeadlineExceededError(absl::StrCat("a worker still accepts key ", key.id,
                                                    " after ", flags.round_timeout_s, " s"));
  }
  for (WorkerProcess& worker : workers) {
    int64_t bytes = 0;
    double millis = 0;
    if (FindApplied(worker.Log(), expected_version, &bytes, &millis)) {
      round.apply_ms = std::max(round.apply_ms, millis);
    }
  }
  return round;
}

absl::Status Run(const Flags& flags) {
  GW_ASSIGN_OR_RETURN(testing::TempDir dir, testing::TempDir::Create("gw-cp-bench"));
  ControlPlaneProcess cp(dir);

  Clock::time_point start = Clock::now();
  SeedOptions seed_options;
  seed_options.teams = flags.teams;
  seed_options.keys = flags.keys;
  seed_options.sample_keys = flags.rounds;
  GW_ASSIGN_OR_RETURN(SeededDatabase seeded, SeedDatabase(cp.db(), seed_options));
  if (static_cast<int>(seeded.samples.size()) < flags.rounds) {
    return absl::InvalidArgumentError("fewer keys than rounds");
  }
  std::printf("cp_teams=%d\ncp_keys=%d\ncp_workers=%d\n", flags.teams, flags.keys, flags.workers);
  std::printf("cp_seed_s=%.2f\n", MillisSince(start) / 1000);
  std::fflush(stdout);

  start = Clock::now();
  GW_RETURN_IF_ERROR(cp.Start());
  std::printf("cp_start_s=%.2f\n", MillisSince(start) / 1000);

  start = Clock::now();
  std::vector<WorkerProcess> workers;
  workers.reserve(static_cast<size_t>(flags.workers));
  for (int i = 0; i < flags.workers; ++i) {
    workers.emplace_back(dir, absl::StrCat("worker-", i));
    GW_RETURN_IF_ERROR(workers.back().Start(cp.address()));
  }
  const auto ready_deadline = Clock::now() + std::chrono::seconds(120);
  for (WorkerProcess& worker : workers) {
    while (ReadyVersion(worker.http_address()) != seeded.version) {
      if (Clock::now() > ready_deadline) {
        return absl::DeadlineExceededError(absl::StrCat(
            "a worker did not apply version ", seeded.version, " within 120 s:\n", worker.Log()));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  std::printf("cp_workers_ready_s=%.2f\n", MillisSince(start) / 1000);
  int64_t snapshot_bytes = 0;
  double first_apply_ms = 0;
  if (FindApplied(workers.front().Log(), seeded.version, &snapshot_bytes, &first_apply_ms)) {
    std::printf("cp_snapshot_bytes=%lld\n", static_cast<long long>(snapshot_bytes));
  }
  std::fflush(stdout);

  Gwctl gwctl(cp);
  std::vector<double> max_ms, min_ms, gwctl_ms, apply_ms;
  for (int r = 0; r < flags.rounds; ++r) {
    const int64_t expected_version = seeded.version + r + 1;
    GW_ASSIGN_OR_RETURN(
        Round round,
        RunRound(flags, gwctl, workers, seeded.samples[static_cast<size_t>(r)], expected_version));
    std::fprintf(stderr,
                 "round %d: all %d workers refuse after %.1f ms (first %.1f ms; gwctl exits at "
                 "%.1f ms; slowest worker apply %.1f ms)\n",
                 r + 1, flags.workers, round.max_ms, round.min_ms, round.gwctl_ms, round.apply_ms);
    max_ms.push_back(round.max_ms);
    min_ms.push_back(round.min_ms);
    gwctl_ms.push_back(round.gwctl_ms);
    apply_ms.push_back(round.apply_ms);
  }
  std::printf("cp_revoke_rounds=%d\n", flags.rounds);
  std::printf("cp_revoke_all_workers_ms_median=%.1f\n", Median(max_ms));
  std::printf("cp_revoke_all_workers_ms_max=%.1f\n",
              *std::max_element(max_ms.begin(), max_ms.end()));
  std::printf("cp_revoke_first_worker_ms_median=%.1f\n", Median(min_ms));
  std::printf("cp_revoke_gwctl_ms_median=%.1f\n", Median(gwctl_ms));
  std::printf("cp_worker_apply_ms_median=%.1f\n", Median(apply_ms));
  std::fflush(stdout);

  for (WorkerProcess& worker : workers) GW_RETURN_IF_ERROR(worker.Stop());
  return cp.Stop();
}

}  // namespace
}  // namespace gw::bench

int main(int argc, char** argv) {
  gw::bench::Flags flags;
  CLI::App app{"cp_revoke_latency: key revocation to refusal on every worker"};
  app.add_option("--teams", flags.teams, "teams in the database")->capture_default_str();
  app.add_option("--keys", flags.keys, "keys in the database")->capture_default_str();
  app.add_option("--workers", flags.workers, "workers (one HTTP thread each)")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option("--rounds", flags.rounds, "revocations measured")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option("--poll-interval-ms", flags.poll_interval_ms, "pause between two polls")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  app.add_option("--round-timeout-s", flags.round_timeout_s, "give up on a round after this")
      ->check(CLI::Range(1, 600))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (absl::Status status = gw::bench::Run(flags); !status.ok()) {
    std::fprintf(stderr, "cp_revoke_latency: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
