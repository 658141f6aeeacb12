// The api_keys rows: the in-memory form of a key (KeyRecord), its conversions to the Admin API's
// ApiKey and the snapshot's KeyEntry, and the SQL that loads, inserts and updates keys by id.
//   GW_RETURN_IF_ERROR(InsertKey(tx.db(), record));
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "control_plane/store/database.h"
#include "gateway/admin/v1/admin.pb.h"
#include "gateway/config/v1/config.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace gw::cp {

// Times are unix microseconds, as in the schema.
struct KeyRecord {
  std::string id;
  std::string team;
  std::string name;
  std::string prefix;
  std::string sha256;  // 32 raw bytes; the plaintext is never kept.
  std::vector<std::string> allowed_models;
  int64_t created_at = 0;
  std::optional<int64_t> expires_at;
  std::optional<int64_t> revoked_at;
  std::string rotated_from;  // Empty: not a rotation.

  // Workers must accept it at `now`: not revoked and not expired.
  bool LiveAt(int64_t now) const {
    return !revoked_at.has_value() && (!expires_at.has_value() || *expires_at > now);
  }
};

gateway::admin::v1::ApiKey ToApiKey(const KeyRecord& record);
// Fills `entry` in place (it may live on the snapshot's arena).
void FillKeyEntry(const KeyRecord& record, gateway::config::v1::KeyEntry* entry);

google::protobuf::Timestamp MicrosToTimestamp(int64_t micros);
// INVALID_ARGUMENT for a timestamp outside 0001-01-01..9999-12-31 or with bad nanos.
absl::StatusOr<int64_t> TimestampToMicros(const google::protobuf::Timestamp& timestamp);

// Every key, in insertion order (which breaks ties between equal created_at). Call inside a
// Transaction or under Lock().
absl::StatusOr<std::vector<KeyRecord>> LoadKeys(Database& db);

// Call inside a Transaction.
absl::Status InsertKey(Database& db, const KeyRecord& record);
// Writes expires_at and revoked_at of the key `record.id`; NOT_FOUND when no row has that id.
absl::Status UpdateKeyValidity(Database& db, const KeyRecord& record);

}  // namespace gw::cp
