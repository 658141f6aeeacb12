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
#include "google/protobuf/arena.h"

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

  // Serialized snapshot bytes parsed onto an arena of their own, for Compile(ParsedOnArena).
  // Each version's proto then costs a few large blocks instead of several allocations per key,
  // and dropping the previous version frees those blocks instead of 100,000 messages: on a
  // worker with 100,000 keys that was most of the time a new version took to apply.
  class ParsedOnArena {
   public:
    // INVALID_ARGUMENT when the bytes do not parse as gateway.config.v1.Snapshot.
    static absl::StatusOr<ParsedOnArena> Parse(absl::string_view serialized);

    const gateway::config::v1::Snapshot& proto() const { return *proto_; }

   private:
    friend class Snapshot;
    ParsedOnArena() = default;
    std::unique_ptr<google::protobuf::Arena> arena_;
    gateway::config::v1::Snapshot* proto_ = nullptr;  // Lives on arena_.
  };
  // Same as Compile(proto), taking over the parsed proto and its arena.
  static absl::StatusOr<std::shared_ptr<const Snapshot>> Compile(ParsedOnArena parsed);

  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  int64_t version() const { return proto_->version(); }
  const gateway::config::v1::Snapshot& proto() const { return *proto_; }
  size_t key_count() const { return keys_by_digest_.size(); }

  // `sha256` is the 32-byte raw digest of the presented key; nullptr when no such key exists
  // (unknown or revoked). Expiry is the caller's check: it needs the request's clock.
  const KeyInfo* FindKeyByDigest(absl::string_view sha256) const;

  const gateway::config::v1::Model* FindModel(absl::string_view name) const;

  // The prices of a public model; nullptr when none are set (its requests then cost nothing).
  const gateway::config::v1::ModelPrice* FindPrice(absl::string_view model) const;

 private:
  explicit Snapshot(gateway::config::v1::Snapshot proto)
      : owned_proto_(std::make_unique<gateway::config::v1::Snapshot>(std::move(proto))),
        proto_(owned_proto_.get()) {}
  explicit Snapshot(ParsedOnArena parsed)
      : arena_(std::move(parsed.arena_)), proto_(parsed.proto_) {}
  // Builds the indexes below from *proto_.
  absl::Status Index();

  // Declared before the indexes, which point into the proto, so they are destroyed first.
  std::unique_ptr<google::protobuf::Arena> arena_;  // Owns *proto_ when set.
  std::unique_ptr<gateway::config::v1::Snapshot> owned_proto_;
  const gateway::config::v1::Snapshot* proto_;
  // Keyed by views of the digests in *proto_, so indexing copies no digest.
  absl::flat_hash_map<absl::string_view, KeyInfo> keys_by_digest_;
  absl::flat_hash_map<std::string, const gateway::config::v1::Model*> models_by_name_;
  absl::flat_hash_map<std::string, const gateway::config::v1::ModelPrice*> prices_by_model_;
};

}  // namespace gw::dp
