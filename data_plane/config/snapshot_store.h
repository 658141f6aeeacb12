// The slot holding the snapshot in force. One writer (the config applier) swaps it atomically;
// any number of request threads read it without locks, each through its own Reader, and every
// request pins the snapshot it started with.
//   SnapshotStore store;  store.Publish(snapshot);
//   SnapshotStore::Reader reader(store);                      // one per thread
//   std::shared_ptr<const Snapshot> pinned = reader.Current();  // nullptr before the first one
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "data_plane/config/snapshot.h"

namespace gw::dp {

class SnapshotStore {
 public:
  // Readers see `snapshot` from their next Current() on; requests in flight keep theirs.
  void Publish(std::shared_ptr<const Snapshot> snapshot);

  // A fresh load from the shared slot (touches the shared control block: prefer a Reader on hot
  // paths).
  std::shared_ptr<const Snapshot> Load() const { return current_.load(std::memory_order_acquire); }

  // The version in force; 0 before the first snapshot.
  int64_t version() const { return version_.load(std::memory_order_acquire); }

  // A per-thread cache: on the request path it costs one relaxed-contention atomic load of the
  // generation counter, and reloads the slot only after a Publish.
  class Reader {
   public:
    explicit Reader(const SnapshotStore& store) : store_(store) {}
    const std::shared_ptr<const Snapshot>& Current();

   private:
    const SnapshotStore& store_;
    uint64_t generation_ = 0;
    std::shared_ptr<const Snapshot> cached_;
  };

 private:
  std::atomic<std::shared_ptr<const Snapshot>> current_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int64_t> version_{0};
};

}  // namespace gw::dp
