// Keys the control plane revoked recently, pushed ahead of the snapshot that drops them: the key
// auth stage refuses them while the worker is still applying that snapshot (about a second at
// 100,000 keys). Entries the applied snapshot already reflects are pruned, so the set is empty
// almost always and the request path then pays one atomic load.
//   slot.Offer(std::move(revocations), applied_version);  slot.PruneReflectedBy(applied_version);
//   if (slot.IsRevoked(DigestApiKey(key).view())) { ... 401 ... }
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "data_plane/config/shared_slot.h"
#include "gateway/config/v1/config.pb.h"

namespace gw::dp {

// Immutable once stored: SHA-256 of each revoked key -> the config version that revoked it.
struct RevokedKeySet {
  absl::flat_hash_map<std::string, int64_t> version_by_digest;
};

class KeyRevocationSlot {
 public:
  // Replaces the held set with `revocations` minus the entries whose version is at most
  // `applied_version` (the applied snapshot already leaves those keys out). True when accepted;
  // a sequence not newer than the last accepted one is dropped.
  bool Offer(const gateway::config::v1::KeyRevocations& revocations, int64_t applied_version);

  // Drops the entries a snapshot of `applied_version` reflects; call after applying one.
  void PruneReflectedBy(int64_t applied_version);

  // O(1); only an atomic load when nothing is held. `sha256` is the key's raw 32-byte digest.
  bool IsRevoked(absl::string_view sha256) const {
    return non_empty_.load(std::memory_order_acquire) && IsRevokedSlow(sha256);
  }

  // How many entries are held (for tests and debugging).
  size_t size() const;

 private:
  void StoreLocked(std::shared_ptr<const RevokedKeySet> set);
  bool IsRevokedSlow(absl::string_view sha256) const;

  std::mutex offer_mu_;        // Serialises writers; readers never take it.
  int64_t last_sequence_ = 0;  // Guarded by offer_mu_.
  SharedSlot<RevokedKeySet> slot_;
  // False whenever the slot holds nothing: the request path's fast exit.
  std::atomic<bool> non_empty_{false};
};

}  // namespace gw::dp
