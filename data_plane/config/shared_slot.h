// A slot holding an immutable object that one writer replaces now and then and many threads
// read all the time. Readers go through a per-thread Reader whose steady-state cost is one
// atomic load of a generation counter; only the first read after a replacement takes the
// slot's mutex (uncontended, once per thread per replacement) to copy the new pointer.
//
// Why not std::atomic<std::shared_ptr>: libstdc++ 12 implements it with a spin lock whose
// unlock after a load is relaxed, which ThreadSanitizer reports (rightly, by the letter of the
// memory model) as a race with the next store; and it locks on every load anyway.
//   SharedSlot<Snapshot> slot;  slot.Store(snapshot);
//   SharedSlot<Snapshot>::Reader reader(slot);   // one per thread
//   const std::shared_ptr<const Snapshot>& current = reader.Current();
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>

namespace gw::dp {

template <typename T>
class SharedSlot {
 public:
  void Store(std::shared_ptr<const T> value) {
    std::shared_ptr<const T> previous;
    {
      std::lock_guard<std::mutex> lock(mu_);
      previous = std::exchange(value_, std::move(value));
    }
    generation_.fetch_add(1, std::memory_order_release);
    // `previous` is released outside the lock: destroying a large snapshot takes time.
  }

  std::shared_ptr<const T> Load() const {
    std::lock_guard<std::mutex> lock(mu_);
    return value_;
  }

  class Reader {
   public:
    explicit Reader(const SharedSlot& slot) : slot_(slot) {}

    // nullptr until the first Store.
    const std::shared_ptr<const T>& Current() {
      const uint64_t generation = slot_.generation_.load(std::memory_order_acquire);
      if (generation != generation_) {
        cached_ = slot_.Load();
        generation_ = generation;
      }
      return cached_;
    }

   private:
    const SharedSlot& slot_;
    uint64_t generation_ = 0;
    std::shared_ptr<const T> cached_;
  };

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const T> value_;  // Guarded by mu_.
  std::atomic<uint64_t> generation_{0};
};

}  // namespace gw::dp
