// cp_store_write_latency: what one key write costs the control plane's store at N keys, in
// process (no gRPC, no workers): the SQLite transaction with its fsync plus the in-memory
// snapshot rebuilt for the new version. Prints key=value figures on stdout.
//   cp_store_write_latency --teams 10000 --keys 100000 --writes 20
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "bench/control_plane/seed_database.h"
#include "common/status_macros.h"
#include "control_plane/store/config_store.h"
#include "tests/integration/harness/temp_dir.h"

namespace gw::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  int teams = 10'000;
  int keys = 100'000;
  int writes = 20;
};

double MillisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

absl::Status Run(const Flags& flags) {
  GW_ASSIGN_OR_RETURN(testing::TempDir dir, testing::TempDir::Create("gw-cp-store-bench"));
  const std::string db = dir.Path("gateway.db");
  SeedOptions seed_options;
  seed_options.teams = flags.teams;
  seed_options.keys = flags.keys;
  seed_options.sample_keys = flags.writes;
  GW_ASSIGN_OR_RETURN(SeededDatabase seeded, SeedDatabase(db, seed_options));

  Clock::time_point start = Clock::now();
  GW_ASSIGN_OR_RETURN(std::unique_ptr<cp::ConfigStore> store, cp::ConfigStore::Open(db));
  std::printf("cp_store_open_ms=%.1f\n", MillisSince(start));

  std::vector<double> revoke_ms, create_ms;
  for (const SeededKey& key : seeded.samples) {
    start = Clock::now();
    GW_RETURN_IF_ERROR(store->RevokeKey(key.id).status());
    revoke_ms.push_back(MillisSince(start));
    gateway::admin::v1::CreateKeyRequest request;
    request.set_team(key.team);
    start = Clock::now();
    GW_RETURN_IF_ERROR(store->CreateKey(request).status());
    create_ms.push_back(MillisSince(start));
  }
  start = Clock::now();
  const std::string bytes = store->Current()->SerializeAsString();
  std::printf("cp_store_keys=%d\ncp_store_writes=%d\n", flags.keys, flags.writes);
  std::printf("cp_store_revoke_ms_median=%.1f\ncp_store_create_ms_median=%.1f\n", Median(revoke_ms),
              Median(create_ms));
  std::printf("cp_store_serialize_ms=%.1f\ncp_store_snapshot_bytes=%zu\n", MillisSince(start),
              bytes.size());
  return absl::OkStatus();
}

}  // namespace
}  // namespace gw::bench

int main(int argc, char** argv) {
  gw::bench::Flags flags;
  CLI::App app{"cp_store_write_latency: one key write's cost in the store at N keys"};
  app.add_option("--teams", flags.teams, "teams in the database")->capture_default_str();
  app.add_option("--keys", flags.keys, "keys in the database")->capture_default_str();
  app.add_option("--writes", flags.writes, "revocations (and as many creations) timed")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (absl::Status status = gw::bench::Run(flags); !status.ok()) {
    std::fprintf(stderr, "cp_store_write_latency: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
