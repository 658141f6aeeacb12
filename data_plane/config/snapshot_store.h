// The slot holding the snapshot in force. One writer (the config applier) swaps it atomically;
// request threads read it through their own Reader (one atomic load per request, see
// shared_slot.h), and every request pins the snapshot it started with.
//   SnapshotStore store;  store.Publish(snapshot);
//   SnapshotStore::Reader reader(store.slot());               // one per thread
//   std::shared_ptr<const Snapshot> pinned = reader.Current();  // nullptr before the first one
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "data_plane/config/shared_slot.h"
#include "data_plane/config/snapshot.h"

namespace gw::dp {

class SnapshotStore {
 public:
  using Reader = SharedSlot<Snapshot>::Reader;

  // Readers see `snapshot` from their next Current() on; requests in flight keep theirs.
  void Publish(std::shared_ptr<const Snapshot> snapshot) {
    const int64_t version = snapshot == nullptr ? 0 : snapshot->version();
    slot_.Store(std::move(snapshot));
    version_.store(version, std::memory_order_release);
  }

  // A fresh load from the shared slot; request paths use a Reader.
  std::shared_ptr<const Snapshot> Load() const { return slot_.Load(); }

  // The version in force; 0 before the first snapshot.
  int64_t version() const { return version_.load(std::memory_order_acquire); }

  const SharedSlot<Snapshot>& slot() const { return slot_; }

 private:
  SharedSlot<Snapshot> slot_;
  std::atomic<int64_t> version_{0};
};

}  // namespace gw::dp
