#include "control_plane/store/config_store.h"

#include <google/protobuf/arena.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <mutex>
#include <shared_mutex>
#include <utility>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/api_key.h"
#include "common/config_resources.h"
#include "common/config_validator.h"
#include "common/feature_level.h"
#include "common/names.h"
#include "common/status_macros.h"
#include "control_plane/store/config_tables.h"
#include "control_plane/store/database.h"
#include "control_plane/store/key_table.h"
#include "control_plane/store/migrator.h"
#include "spdlog/spdlog.h"

namespace gw::cp {
namespace cfg = gateway::config::v1;
namespace admin = gateway::admin::v1;

namespace {

cfg::RevokedKey RevokedKeyOf(const KeyRecord& record, int64_t version) {
  cfg::RevokedKey revoked;
  revoked.set_key_id(record.id);
  revoked.set_sha256(record.sha256);
  revoked.set_version(version);
  return revoked;
}

}  // namespace

struct ConfigStore::Impl {
  std::unique_ptr<Database> db;
  Options options;

  // Held for each whole write (database transaction included) so the in-memory state always
  // equals the committed rows. Readers of the configuration use `snapshot` instead.
  // std:: mutexes rather than absl::Mutex: Debian's abseil is not built for ThreadSanitizer,
  // which then cannot see its locking. Members below are guarded by `mu` until notify_mu.
  mutable std::shared_mutex mu;
  int64_t version = 0;
  int64_t version_updated_at = 0;
  cfg::GatewayConfig config;
  absl::btree_map<std::string, KeyRecord> keys;  // By id.
  absl::flat_hash_map<std::string, std::vector<std::string>> key_ids_by_team;

  std::atomic<std::shared_ptr<const Snapshot>> snapshot;

  // Versions committed but not yet announced, in commit order; one thread at a time delivers
  // them, with no lock held while a listener runs (listeners may call back into the store).
  // Taken after `mu` when both are held; guards the three members below it.
  std::mutex notify_mu;
  std::vector<std::function<void(int64_t)>> listeners;
  std::deque<int64_t> pending_versions;
  bool delivering = false;
  std::vector<std::function<void(const RevokedKeys&)>> revocation_listeners;

  // Caller holds `mu`; see AddRevocationListener.
  void AnnounceRevoked(const RevokedKeys& revoked) {
    if (revoked.empty()) return;
    std::vector<std::function<void(const RevokedKeys&)>> to_call;
    {
      std::lock_guard lock(notify_mu);
      to_call = revocation_listeners;
    }
    for (const auto& listener : to_call) listener(revoked);
  }

  int64_t NowMicros() const { return absl::ToUnixMicros(options.now()); }

  bool TeamExists(absl::string_view name) const {
    const auto& teams = config.teams();
    auto it =
        std::lower_bound(teams.begin(), teams.end(), name,
                         [](const cfg::Team& t, absl::string_view n) { return t.name() < n; });
    return it != teams.end() && it->name() == name;
  }

  // Builds and publishes the snapshot of the current state. Caller holds `mu`. The snapshot lives
  // on its own arena, freed with the last reference: with 100,000 keys that makes building and
  // dropping one several times cheaper than a million separate allocations.
  void Publish() {
    google::protobuf::ArenaOptions arena_options;
    arena_options.start_block_size = 64 << 10;
    arena_options.max_block_size = 4 << 20;
    auto arena = std::make_shared<google::protobuf::Arena>(arena_options);
    Snapshot* next = google::protobuf::Arena::CreateMessage<Snapshot>(arena.get());
    next->set_version(version);
    next->set_required_feature_level(RequiredFeatureLevel(config));
    *next->mutable_created_at() = MicrosToTimestamp(version_updated_at);
    *next->mutable_config() = config;
    const int64_t now = NowMicros();
    next->mutable_keys()->Reserve(static_cast<int>(keys.size()));
    for (const auto& [id, record] : keys) {
      if (record.LiveAt(now)) FillKeyEntry(record, next->add_keys());
    }
    // Shares ownership of the arena, points at the snapshot on it.
    snapshot.store(std::shared_ptr<const Snapshot>(std::move(arena), next));
  }

  // Records a committed version: state, snapshot, and the pending announcement. Caller holds `mu`.
  void Committed(int64_t new_version, int64_t at) {
    version = new_version;
    version_updated_at = at;
    Publish();
    std::lock_guard lock(notify_mu);
    pending_versions.push_back(new_version);
  }

  void DeliverPendingVersions() {
    {
      std::lock_guard lock(notify_mu);
      if (delivering) return;  // That thread delivers ours too, in order.
      delivering = true;
    }
    while (true) {
      int64_t next_version;
      std::vector<std::function<void(int64_t)>> to_call;
      {
        std::lock_guard lock(notify_mu);
        if (pending_versions.empty()) {
          delivering = false;
          return;
        }
        next_version = pending_versions.front();
        pending_versions.pop_front();
        to_call = listeners;
      }
      for (const auto& listener : to_call) listener(next_version);
    }
  }

  // Bumps the stored version inside `tx`; ABORTED when another writer changed it behind us.
  // Caller holds `mu`.
  absl::StatusOr<int64_t> BumpVersion(Database& tx_db, int64_t at) {
    GW_ASSIGN_OR_RETURN(Statement st, tx_db.Prepare("UPDATE config_version SET version = version "
                                                    "+ 1, updated_at = ?1 WHERE id = 1 "
                                                    "RETURNING version"));
    GW_RETURN_IF_ERROR(st.Bind(at));
    GW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return absl::DataLossError("config_version row is missing");
    const int64_t bumped = st.ColumnInt64(0);
    GW_RETURN_IF_ERROR(st.Run());
    if (bumped != version + 1) {
      return absl::AbortedError(absl::StrCat("config version in the database is ", bumped - 1,
                                             ", expected ", version,
                                             ": another process writes this database"));
    }
    return bumped;
  }

  absl::Status Load() {
    GW_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db));
    {
      GW_ASSIGN_OR_RETURN(Statement st,
                          tx.db().Prepare("SELECT version, updated_at FROM config_version"));
      GW_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) return absl::DataLossError("config_version row is missing");
      version = st.ColumnInt64(0);
      version_updated_at = st.ColumnInt64(1);
    }
    GW_ASSIGN_OR_RETURN(config, LoadConfig(tx.db()));
    GW_ASSIGN_OR_RETURN(std::vector<KeyRecord> loaded, LoadKeys(tx.db()));
    GW_RETURN_IF_ERROR(tx.Commit());
    for (KeyRecord& record : loaded) {
      key_ids_by_team[record.team].push_back(record.id);
      std::string id = record.id;
      keys.emplace(std::move(id), std::move(record));
    }
    // A validator grown stricter than the one that wrote this state must not keep the control
    // plane down: serve it, say so, and let the next admin write fix it.
    if (absl::Status valid = ValidateConfig(config); !valid.ok()) {
      spdlog::warn("stored configuration (version {}) fails validation: {}", version,
                   std::string_view(valid.message().data(), valid.message().size()));
    }
    Publish();
    return absl::OkStatus();
  }
};

absl::StatusOr<std::unique_ptr<ConfigStore>> ConfigStore::Open(const std::string& path) {
  return Open(path, Options());
}

absl::StatusOr<std::unique_ptr<ConfigStore>> ConfigStore::Open(const std::string& path,
                                                               Options options) {
  std::unique_ptr<ConfigStore> store(new ConfigStore());
  store->impl_ = std::make_unique<Impl>();
  Impl& impl = *store->impl_;
  impl.options = std::move(options);
  if (!impl.options.now) impl.options.now = [] { return absl::Now(); };
  GW_ASSIGN_OR_RETURN(impl.db, Database::Open(path));
  GW_RETURN_IF_ERROR(ApplyMigrations(*impl.db, EmbeddedMigrations()).status());
  std::unique_lock lock(impl.mu);
  GW_RETURN_IF_ERROR(impl.Load());
  return store;
}

ConfigStore::~ConfigStore() = default;

std::shared_ptr<const ConfigStore::Snapshot> ConfigStore::Current() const {
  return impl_->snapshot.load();
}

absl::StatusOr<int64_t> ConfigStore::MutateConfig(
    absl::FunctionRef<absl::Status(GatewayConfig&)> mutate) {
  Impl& impl = *impl_;
  int64_t result;
  {
    std::unique_lock lock(impl.mu);
    GatewayConfig candidate = impl.config;
    GW_RETURN_IF_ERROR(mutate(candidate));
    CanonicalizeConfig(candidate);
    GW_RETURN_IF_ERROR(ValidateConfig(candidate));
    if (CountConfigDifferences(impl.config, candidate) == 0) return impl.version;

    const int64_t now = impl.NowMicros();
    ConfigDiffStats stats;
    int64_t new_version;
    {
      GW_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*impl.db));
      GW_ASSIGN_OR_RETURN(stats, WriteConfigDiff(tx.db(), impl.config, candidate, now));
      GW_ASSIGN_OR_RETURN(new_version, impl.BumpVersion(tx.db(), now));
      GW_RETURN_IF_ERROR(tx.Commit());
    }

    // The database dropped the deleted teams' keys by cascade; mirror it.
    RevokedKeys dropped;
    for (const std::string& team : stats.deleted_teams) {
      auto ids = impl.key_ids_by_team.find(team);
      if (ids == impl.key_ids_by_team.end()) continue;
      for (const std::string& id : ids->second) {
        auto key = impl.keys.find(id);
        if (key == impl.keys.end()) continue;
        if (key->second.LiveAt(now)) dropped.push_back(RevokedKeyOf(key->second, new_version));
        impl.keys.erase(key);
      }
      impl.key_ids_by_team.erase(ids);
    }
    impl.AnnounceRevoked(dropped);
    impl.config = std::move(candidate);
    impl.Committed(new_version, now);
    result = new_version;
  }
  impl.DeliverPendingVersions();
  return result;
}

namespace {

absl::Status ValidateAllowedModels(const google::protobuf::RepeatedPtrField<std::string>& models) {
  absl::flat_hash_set<absl::string_view> seen;
  for (const std::string& model : models) {
    GW_RETURN_IF_ERROR(ValidateName("allowed model", model));
    if (!seen.insert(model).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("allowed model '", model, "' is listed twice"));
    }
  }
  return absl::OkStatus();
}

absl::Status NewKeyMaterial(KeyRecord& record, std::string& plaintext) {
  GW_ASSIGN_OR_RETURN(GeneratedKey generated, GenerateApiKey());
  GW_ASSIGN_OR_RETURN(record.id, GenerateId("key_"));
  record.prefix = std::move(generated.prefix);
  record.sha256 = std::move(generated.sha256);
  plaintext = std::move(generated.plaintext);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<admin::CreateKeyResponse> ConfigStore::CreateKey(
    const admin::CreateKeyRequest& request) {
  GW_RETURN_IF_ERROR(ValidateName("team", request.team()));
  if (!request.name().empty()) GW_RETURN_IF_ERROR(ValidateName("key name", request.name()));
  GW_RETURN_IF_ERROR(ValidateAllowedModels(request.allowed_models()));
  std::optional<int64_t> expires_at;
  if (request.has_expires_at()) {
    GW_ASSIGN_OR_RETURN(expires_at, TimestampToMicros(request.expires_at()));
  }

  Impl& impl = *impl_;
  admin::CreateKeyResponse response;
  {
    std::unique_lock lock(impl.mu);
    if (!impl.TeamExists(request.team())) {
      return absl::NotFoundError(absl::StrCat("team '", request.team(), "' does not exist"));
    }
    const int64_t now = impl.NowMicros();
    if (expires_at.has_value() && *expires_at <= now) {
      return absl::InvalidArgumentError("key expiry must be in the future");
    }
    KeyRecord record;
    std::string plaintext;
    GW_RETURN_IF_ERROR(NewKeyMaterial(record, plaintext));
    record.team = request.team();
    record.name = request.name();
    record.allowed_models.assign(request.allowed_models().begin(), request.allowed_models().end());
    record.created_at = now;
    record.expires_at = expires_at;

    int64_t new_version;
    {
      GW_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*impl.db));
      GW_RETURN_IF_ERROR(InsertKey(tx.db(), record));
      GW_ASSIGN_OR_RETURN(new_version, impl.BumpVersion(tx.db(), now));
      GW_RETURN_IF_ERROR(tx.Commit());
    }

    *response.mutable_key() = ToApiKey(record);
    response.set_plaintext_key(std::move(plaintext));
    impl.key_ids_by_team[record.team].push_back(record.id);
    std::string id = record.id;
    impl.keys.emplace(std::move(id), std::move(record));
    impl.Committed(new_version, now);
  }
  impl.DeliverPendingVersions();
  return response;
}

absl::StatusOr<std::vector<admin::ApiKey>> ConfigStore::ListKeys(absl::string_view team) const {
  const Impl& impl = *impl_;
  std::shared_lock lock(impl.mu);
  if (!impl.TeamExists(team)) {
    return absl::NotFoundError(absl::StrCat("team '", team, "' does not exist"));
  }
  std::vector<const KeyRecord*> records;
  if (auto ids = impl.key_ids_by_team.find(team); ids != impl.key_ids_by_team.end()) {
    for (const std::string& id : ids->second) records.push_back(&impl.keys.at(id));
  }
  // Ids are in creation order already; sorting by time only matters if the clock stepped back.
  std::stable_sort(records.begin(), records.end(), [](const KeyRecord* a, const KeyRecord* b) {
    return a->created_at < b->created_at;
  });
  std::vector<admin::ApiKey> out;
  out.reserve(records.size());
  for (const KeyRecord* record : records) out.push_back(ToApiKey(*record));
  return out;
}

absl::StatusOr<admin::ApiKey> ConfigStore::RevokeKey(absl::string_view id) {
  Impl& impl = *impl_;
  admin::ApiKey revoked;
  {
    std::unique_lock lock(impl.mu);
    auto it = impl.keys.find(id);
    if (it == impl.keys.end()) {
      return absl::NotFoundError(absl::StrCat("key '", id, "' not found"));
    }
    if (it->second.revoked_at.has_value()) return ToApiKey(it->second);

    const int64_t now = impl.NowMicros();
    KeyRecord updated = it->second;
    updated.revoked_at = now;
    int64_t new_version;
    {
      GW_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*impl.db));
      GW_RETURN_IF_ERROR(UpdateKeyValidity(tx.db(), updated));
      GW_ASSIGN_OR_RETURN(new_version, impl.BumpVersion(tx.db(), now));
      GW_RETURN_IF_ERROR(tx.Commit());
    }
    // Only a key still live at `now` changes anything for workers.
    if (it->second.LiveAt(now)) impl.AnnounceRevoked({RevokedKeyOf(updated, new_version)});

    it->second = std::move(updated);
    revoked = ToApiKey(it->second);
    impl.Committed(new_version, now);
  }
  impl.DeliverPendingVersions();
  return revoked;
}

absl::StatusOr<admin::CreateKeyResponse> ConfigStore::RotateKey(absl::string_view id,
                                                                absl::Duration grace) {
  if (grace < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("grace period must not be negative");
  }
  Impl& impl = *impl_;
  admin::CreateKeyResponse response;
  {
    std::unique_lock lock(impl.mu);
    auto it = impl.keys.find(id);
    if (it == impl.keys.end()) {
      return absl::NotFoundError(absl::StrCat("key '", id, "' not found"));
    }
    const int64_t now = impl.NowMicros();
    if (!it->second.LiveAt(now)) {
      return absl::FailedPreconditionError(
          absl::StrCat("key '", id, "' is revoked or expired; create a new key instead"));
    }

    KeyRecord old_key = it->second;
    if (grace == absl::ZeroDuration()) {
      old_key.revoked_at = now;
    } else {
      // Saturates instead of overflowing for absurd grace periods.
      const int64_t grace_end = absl::ToUnixMicros(absl::FromUnixMicros(now) + grace);
      old_key.expires_at = std::min(old_key.expires_at.value_or(grace_end), grace_end);
    }
    KeyRecord new_key;
    std::string plaintext;
    GW_RETURN_IF_ERROR(NewKeyMaterial(new_key, plaintext));
    new_key.team = old_key.team;
    new_key.name = old_key.name;
    new_key.allowed_models = old_key.allowed_models;
    new_key.created_at = now;
    new_key.rotated_from = old_key.id;

    int64_t new_version;
    {
      GW_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*impl.db));
      GW_RETURN_IF_ERROR(UpdateKeyValidity(tx.db(), old_key));
      GW_RETURN_IF_ERROR(InsertKey(tx.db(), new_key));
      GW_ASSIGN_OR_RETURN(new_version, impl.BumpVersion(tx.db(), now));
      GW_RETURN_IF_ERROR(tx.Commit());
    }
    // With a grace period the old key stays valid until it expires, which workers check.
    if (grace == absl::ZeroDuration()) impl.AnnounceRevoked({RevokedKeyOf(old_key, new_version)});

    it->second = std::move(old_key);
    *response.mutable_key() = ToApiKey(new_key);
    response.set_plaintext_key(std::move(plaintext));
    impl.key_ids_by_team[new_key.team].push_back(new_key.id);
    std::string new_id = new_key.id;
    impl.keys.emplace(std::move(new_id), std::move(new_key));
    impl.Committed(new_version, now);
  }
  impl.DeliverPendingVersions();
  return response;
}

void ConfigStore::AddRevocationListener(std::function<void(const RevokedKeys&)> listener) {
  std::lock_guard lock(impl_->notify_mu);
  impl_->revocation_listeners.push_back(std::move(listener));
}

void ConfigStore::AddVersionListener(std::function<void(int64_t version)> listener) {
  std::lock_guard lock(impl_->notify_mu);
  impl_->listeners.push_back(std::move(listener));
}

Database& ConfigStore::database() { return *impl_->db; }

}  // namespace gw::cp
