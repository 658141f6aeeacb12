// Seeds a control-plane database for the control-plane benchmark: many teams and keys written in
// two transactions, instead of one Admin API call (and one snapshot rebuild) per key.
//   absl::StatusOr<SeededDatabase> seeded = SeedDatabase(db_path, {.teams = 10000, .keys =
//   100000});
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace gw::bench {

struct SeedOptions {
  int teams = 10'000;
  int keys = 100'000;  // Spread evenly over the teams.
  // Keys whose plaintext is returned (the rest are stored by digest only, as the store does).
  int sample_keys = 10;
};

struct SeededKey {
  std::string id;
  std::string team;
  std::string plaintext;
};

struct SeededDatabase {
  int64_t version = 0;  // The config version in force after seeding.
  std::vector<SeededKey> samples;
};

// Creates the database at `path` (which must not exist yet) through the control plane's own
// store: migrations, then the teams, one provider and a few models in one MutateConfig (validated
// as any admin write), then every key in one transaction with the store's InsertKey and a version
// bump. The control plane started on it afterwards loads exactly what an admin would have made.
absl::StatusOr<SeededDatabase> SeedDatabase(const std::string& path, const SeedOptions& options);

}  // namespace gw::bench
