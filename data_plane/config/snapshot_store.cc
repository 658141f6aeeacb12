#include "data_plane/config/snapshot_store.h"

#include <utility>

namespace gw::dp {

void SnapshotStore::Publish(std::shared_ptr<const Snapshot> snapshot) {
  const int64_t version = snapshot == nullptr ? 0 : snapshot->version();
  current_.store(std::move(snapshot), std::memory_order_release);
  version_.store(version, std::memory_order_release);
  // After the slot: a reader that sees the new generation is guaranteed to load the new slot.
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

const std::shared_ptr<const Snapshot>& SnapshotStore::Reader::Current() {
  const uint64_t generation = store_.generation_.load(std::memory_order_acquire);
  if (generation != generation_) {
    cached_ = store_.Load();
    generation_ = generation;
  }
  return cached_;
}

}  // namespace gw::dp
