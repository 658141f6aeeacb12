// The worker's immutable, compiled view of one config version: the proto as received plus the
// indexes the request path needs (keys by SHA-256 digest, per-key model lists). Built once per
// version, then shared read-only by every request that pinned it.
//   GW_ASSIGN_OR_RETURN(std::shared_ptr<const Snapshot> s, Snapshot::Compile(std::move(proto)));
//   const KeyInfo* key = s->FindKeyByDigest(gw::Sha256(presented_key));
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gateway/config/v1/config.pb.h"

namespace gw::dp {

// The models one key may use, sorted by name, with the `GET /v1/models` body rendered once.
struct ModelList {
  std::vector<std::string> names;
  std::string models_response_json;
};

struct KeyInfo {
  std::string id;
  std::string prefix;
  const gateway::config::v1::Team* team = nullptr;  // Points into the owning snapshot.
  absl::Time expires_at = absl::InfiniteFuture();
  std::shared_ptr<const ModelList> models;  // Shared by every key with the same list.

  bool ExpiredAt(absl::Time now) const { return now >= expires_at; }
};

class Snapshot {
 public:
  // Indexes a snapshot that already passed gw::ValidateSnapshot. INVALID_ARGUMENT only for a
  // snapshot the validator would have refused (a key of an unknown team).
  static absl::StatusOr<std::shared_ptr<const Snapshot>> Compile(
      gateway::config::v1::Snapshot proto);

  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  int64_t version() const { return proto_.version(); }
  const gateway::config::v1::Snapshot& proto() const { return proto_; }
  size_t key_count() const { return keys_by_digest_.size(); }

  // `sha256` is the 32-byte raw digest of the presented key; nullptr when no such key exists
  // (unknown or revoked). Expiry is the caller's check: it needs the request's clock.
  const KeyInfo* FindKeyByDigest(absl::string_view sha256) const;

  const gateway::config::v1::Model* FindModel(absl::string_view name) const;

  // The prices of a public model; nullptr when none are set (its requests then cost nothing).
  const gateway::config::v1::ModelPrice* FindPrice(absl::string_view model) const;

 private:
  explicit Snapshot(gateway::config::v1::Snapshot proto) : proto_(std::move(proto)) {}

  gateway::config::v1::Snapshot proto_;
  absl::flat_hash_map<std::string, KeyInfo> keys_by_digest_;
  absl::flat_hash_map<std::string, const gateway::config::v1::Model*> models_by_name_;
  absl::flat_hash_map<std::string, const gateway::config::v1::ModelPrice*> prices_by_model_;
};

}  // namespace gw::dp
