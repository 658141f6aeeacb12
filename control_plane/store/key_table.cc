#include "control_plane/store/key_table.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace gw::cp {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the range google.protobuf.Timestamp allows.
constexpr int64_t kMinSeconds = -62'135'596'800;
constexpr int64_t kMaxSeconds = 253'402'300'799;

}  // namespace

google::protobuf::Timestamp MicrosToTimestamp(int64_t micros) {
  int64_t seconds = micros / kMicrosPerSecond;
  int64_t rest = micros % kMicrosPerSecond;
  if (rest < 0) {
    --seconds;
    rest += kMicrosPerSecond;
  }
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(seconds);
  timestamp.set_nanos(static_cast<int32_t>(rest * 1000));
  return timestamp;
}

absl::StatusOr<int64_t> TimestampToMicros(const google::protobuf::Timestamp& timestamp) {
  if (timestamp.seconds() < kMinSeconds || timestamp.seconds() > kMaxSeconds ||
      timestamp.nanos() < 0 || timestamp.nanos() > 999'999'999) {
    return absl::InvalidArgumentError("timestamp out of range");
  }
  return timestamp.seconds() * kMicrosPerSecond + timestamp.nanos() / 1000;
}

gateway::admin::v1::ApiKey ToApiKey(const KeyRecord& record) {
  gateway::admin::v1::ApiKey key;
  key.set_id(record.id);
  key.set_team(record.team);
  key.set_name(record.name);
  key.set_prefix(record.prefix);
  for (const std::string& model : record.allowed_models) key.add_allowed_models(model);
  *key.mutable_created_at() = MicrosToTimestamp(record.created_at);
  if (record.expires_at) *key.mutable_expires_at() = MicrosToTimestamp(*record.expires_at);
  if (record.revoked_at) *key.mutable_revoked_at() = MicrosToTimestamp(*record.revoked_at);
  return key;
}

void FillKeyEntry(const KeyRecord& record, gateway::config::v1::KeyEntry* entry) {
  entry->set_id(record.id);
  entry->set_sha256(record.sha256);
  entry->set_team(record.team);
  for (const std::string& model : record.allowed_models) entry->add_allowed_models(model);
  if (record.expires_at) *entry->mutable_expires_at() = MicrosToTimestamp(*record.expires_at);
  entry->set_prefix(record.prefix);
}

absl::StatusOr<std::vector<KeyRecord>> LoadKeys(Database& db) {
  std::vector<KeyRecord> keys;
  absl::flat_hash_map<std::string, size_t> index_by_id;
  {
    GW_ASSIGN_OR_RETURN(Statement st,
                        db.Prepare("SELECT id, team, name, prefix, sha256, created_at, expires_at, "
                                   "revoked_at, rotated_from FROM api_keys ORDER BY rowid"));
    while (true) {
      GW_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      KeyRecord& key = keys.emplace_back();
      key.id = st.ColumnText(0);
      key.team = st.ColumnText(1);
      key.name = st.ColumnText(2);
      key.prefix = st.ColumnText(3);
      key.sha256 = st.ColumnBlob(4);
      key.created_at = st.ColumnInt64(5);
      key.expires_at = st.ColumnOptionalInt64(6);
      key.revoked_at = st.ColumnOptionalInt64(7);
      key.rotated_from = st.ColumnText(8);
      index_by_id.emplace(key.id, keys.size() - 1);
    }
  }
  GW_ASSIGN_OR_RETURN(
      Statement st,
      db.Prepare("SELECT key_id, model FROM api_key_allowed_models ORDER BY key_id, position"));
  while (true) {
    GW_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    auto it = index_by_id.find(st.ColumnText(0));
    if (it == index_by_id.end()) return absl::DataLossError("allowed model of a missing key");
    keys[it->second].allowed_models.push_back(st.ColumnText(1));
  }
  return keys;
}

absl::Status InsertKey(Database& db, const KeyRecord& record) {
  {
    GW_ASSIGN_OR_RETURN(
        Statement st,
        db.Prepare("INSERT INTO api_keys (id, team, name, prefix, sha256, created_at, expires_at, "
                   "revoked_at, rotated_from) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
    GW_RETURN_IF_ERROR(st.Bind(record.id, record.team, record.name, record.prefix,
                               Blob{record.sha256}, record.created_at, record.expires_at,
                               record.revoked_at));
    if (!record.rotated_from.empty()) GW_RETURN_IF_ERROR(st.BindText(9, record.rotated_from));
    GW_RETURN_IF_ERROR(st.Run());
  }
  if (record.allowed_models.empty()) return absl::OkStatus();
  GW_ASSIGN_OR_RETURN(Statement st,
                      db.Prepare("INSERT INTO api_key_allowed_models (key_id, position, model) "
                                 "VALUES (?1, ?2, ?3)"));
  int64_t position = 0;
  for (const std::string& model : record.allowed_models) {
    GW_RETURN_IF_ERROR(st.Bind(record.id, position++, model));
    GW_RETURN_IF_ERROR(st.Run());
  }
  return absl::OkStatus();
}

absl::Status UpdateKeyValidity(Database& db, const KeyRecord& record) {
  GW_ASSIGN_OR_RETURN(Statement st,
                      db.Prepare("UPDATE api_keys SET expires_at = ?1, revoked_at = ?2 "
                                 "WHERE id = ?3 RETURNING id"));
  GW_RETURN_IF_ERROR(st.Bind(record.expires_at, record.revoked_at, record.id));
  GW_ASSIGN_OR_RETURN(bool updated, st.Step());
  if (!updated) return absl::NotFoundError(absl::StrCat("key '", record.id, "' not found"));
  return st.Run();
}

}  // namespace gw::cp
