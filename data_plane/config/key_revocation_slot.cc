#include "data_plane/config/key_revocation_slot.h"

#include <utility>

namespace gw::dp {

bool KeyRevocationSlot::Offer(const gateway::config::v1::KeyRevocations& revocations,
                              int64_t applied_version) {
  std::lock_guard<std::mutex> lock(offer_mu_);
  if (revocations.sequence() <= last_sequence_) return false;
  last_sequence_ = revocations.sequence();
  auto set = std::make_shared<RevokedKeySet>();
  for (const gateway::config::v1::RevokedKey& key : revocations.keys()) {
    if (key.version() > applied_version) set->version_by_digest[key.sha256()] = key.version();
  }
  StoreLocked(std::move(set));
  return true;
}

void KeyRevocationSlot::PruneReflectedBy(int64_t applied_version) {
  std::lock_guard<std::mutex> lock(offer_mu_);
  const std::shared_ptr<const RevokedKeySet> held = slot_.Load();
  if (held == nullptr || held->version_by_digest.empty()) return;
  auto kept = std::make_shared<RevokedKeySet>();
  for (const auto& [digest, version] : held->version_by_digest) {
    if (version > applied_version) kept->version_by_digest.emplace(digest, version);
  }
  if (kept->version_by_digest.size() == held->version_by_digest.size()) return;
  StoreLocked(std::move(kept));
}

void KeyRevocationSlot::StoreLocked(std::shared_ptr<const RevokedKeySet> set) {
  const bool has_entries = !set->version_by_digest.empty();
  // A reader that still sees `true` after the set emptied merely looks up an empty set; one that
  // sees `true` after it filled finds the set stored before the flag.
  if (!has_entries) non_empty_.store(false, std::memory_order_release);
  slot_.Store(has_entries ? std::move(set) : nullptr);
  if (has_entries) non_empty_.store(true, std::memory_order_release);
}

bool KeyRevocationSlot::IsRevokedSlow(absl::string_view sha256) const {
  // Rare (only between a revocation and the snapshot that carries it), so the slot's mutex is
  // acceptable here.
  const std::shared_ptr<const RevokedKeySet> set = slot_.Load();
  return set != nullptr && set->version_by_digest.contains(sha256);
}

size_t KeyRevocationSlot::size() const {
  const std::shared_ptr<const RevokedKeySet> set = slot_.Load();
  return set != nullptr ? set->version_by_digest.size() : 0;
}

}  // namespace gw::dp
