#include "tests/fakes/behaviour_store.h"

#include <utility>

namespace gw::testing {
namespace {

// Each server thread keeps the defaults it saw last, so the common case is one atomic load.
struct ThreadCache {
  const BehaviourStore* owner = nullptr;
  uint64_t version = 0;
  std::shared_ptr<const Behaviour> behaviour;
};
thread_local ThreadCache thread_cache;

}  // namespace

BehaviourStore::BehaviourStore(Behaviour startup)
    : startup_(std::make_shared<const Behaviour>(std::move(startup))), current_(startup_) {}

void BehaviourStore::Set(Behaviour behaviour, int64_t times) {
  auto shared = std::make_shared<const Behaviour>(std::move(behaviour));
  std::lock_guard<std::mutex> lock(mutex_);
  if (times > 0) {
    counted_ = std::move(shared);
    counted_remaining_ = times;
    counted_active_.store(true, std::memory_order_release);
  } else {
    current_ = std::move(shared);
    counted_.reset();
    counted_remaining_ = 0;
    counted_active_.store(false, std::memory_order_release);
  }
  version_.fetch_add(1, std::memory_order_acq_rel);
}

void BehaviourStore::Reset() { Set(*startup_, 0); }

std::shared_ptr<const Behaviour> BehaviourStore::ForNextRequest() {
  if (counted_active_.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (counted_remaining_ > 0) {
      std::shared_ptr<const Behaviour> out = counted_;
      if (--counted_remaining_ == 0) {
        counted_.reset();
        counted_active_.store(false, std::memory_order_release);
      }
      return out;
    }
  }
  const uint64_t version = version_.load(std::memory_order_acquire);
  if (thread_cache.owner != this || thread_cache.version != version) {
    std::lock_guard<std::mutex> lock(mutex_);
    thread_cache.owner = this;
    thread_cache.version = version;
    thread_cache.behaviour = current_;
  }
  return thread_cache.behaviour;
}

std::shared_ptr<const Behaviour> BehaviourStore::Current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counted_remaining_ > 0 ? counted_ : current_;
}

}  // namespace gw::testing
