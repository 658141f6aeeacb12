// The control plane's configuration state in SQLite: teams, providers, models, routes, prices,
// API keys and the monotonic config version. The only writer of that state.
//   auto store = ConfigStore::Open("var/gateway.db");
//   absl::StatusOr<int64_t> v = (*store)->MutateConfig([](GatewayConfig& c) { ...; return Ok; });
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gateway/admin/v1/admin.pb.h"
#include "gateway/config/v1/config.pb.h"

namespace gw::cp {

class Database;

// Thread-safe: writes are serialised on one connection (BEGIN IMMEDIATE); reads of the current
// state are lock-free copies of an immutable snapshot.
class ConfigStore {
 public:
  using Snapshot = gateway::config::v1::Snapshot;
  using GatewayConfig = gateway::config::v1::GatewayConfig;

  // Opens or creates the database at `path` (WAL, foreign keys, busy_timeout set outside any
  // transaction), applies pending migrations in order and loads the current state.
  // FAILED_PRECONDITION when the database was written by a newer schema than this binary knows.
  static absl::StatusOr<std::unique_ptr<ConfigStore>> Open(const std::string& path);

  struct Options {
    // The clock for key expiry and timestamps; tests substitute a fake one.
    std::function<absl::Time()> now = [] { return absl::Now(); };
  };
  static absl::StatusOr<std::unique_ptr<ConfigStore>> Open(const std::string& path,
                                                           Options options);
  ~ConfigStore();

  // The current state: version, required feature level, configuration (every list sorted by
  // name) and the keys workers must accept (not revoked; expiring keys carry expires_at).
  // Version 1 is the empty configuration of a new database.
  std::shared_ptr<const Snapshot> Current() const;

  // Applies `mutate` to a copy of the current configuration, validates the result with
  // ValidateConfig, writes the difference and bumps the version, in one transaction. When
  // `mutate` or validation fails nothing changes and its status is returned; when the result
  // equals the current configuration nothing is written and the version stays. Returns the
  // version in force afterwards. `mutate` runs under the store's write lock: it may read
  // Current() but must not call the store's writing methods.
  absl::StatusOr<int64_t> MutateConfig(absl::FunctionRef<absl::Status(GatewayConfig&)> mutate);

  // Keys. Each write bumps the version in its transaction. NOT_FOUND for an unknown team or id,
  // INVALID_ARGUMENT for an expiry in the past or a bad name.
  absl::StatusOr<gateway::admin::v1::CreateKeyResponse> CreateKey(
      const gateway::admin::v1::CreateKeyRequest& request);
  // Every key of `team`, revoked and expired ones included, oldest first.
  absl::StatusOr<std::vector<gateway::admin::v1::ApiKey>> ListKeys(absl::string_view team) const;
  // Revoking a revoked key is a no-op that returns it (the version stays).
  absl::StatusOr<gateway::admin::v1::ApiKey> RevokeKey(absl::string_view id);
  // Issues a new key like the old one (same team, name and allowed models; no expiry); the old
  // one expires after `grace` (zero: revoked now), or sooner if it already expired sooner.
  // FAILED_PRECONDITION for a key already revoked or expired, INVALID_ARGUMENT for grace < 0.
  absl::StatusOr<gateway::admin::v1::CreateKeyResponse> RotateKey(absl::string_view id,
                                                                  absl::Duration grace);

  // Called with the new version after every commit that bumped it, on the writing thread,
  // after the transaction and with no store lock held. Each version is announced once and in
  // order: when writers race, the thread already announcing delivers the later versions too.
  void AddVersionListener(std::function<void(int64_t version)> listener);

  // Called with the keys a write made unusable at once (RevokeKey, RotateKey with no grace, keys
  // dropped with their team), each naming the version that revoked it, right after the commit
  // and BEFORE the snapshot is rebuilt and the version announced: workers can then refuse these
  // keys without waiting for the snapshot. Runs on the writing thread with the store's write lock
  // held: it must be quick and must not call the store. Add listeners before the first write.
  using RevokedKeys = std::vector<gateway::config::v1::RevokedKey>;
  void AddRevocationListener(std::function<void(const RevokedKeys& keys)> listener);

  // The connection, for other control-plane stores sharing the one writer (usage, later).
  Database& database();

 private:
  ConfigStore() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gw::cp
