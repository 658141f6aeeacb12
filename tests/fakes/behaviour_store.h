// The fake provider's current default Behaviour, shared by every server thread: the startup
// defaults until POST /_fake/behaviour replaces them (optionally for the next N requests only).
//   std::shared_ptr<const Behaviour> b = store.ForNextRequest();  // cheap when nothing changed
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "tests/fakes/behaviour.h"

namespace gw::testing {

class BehaviourStore {
 public:
  explicit BehaviourStore(Behaviour startup);

  // Later requests get `behaviour`; with `times` > 0 only the next `times` requests, after which
  // the previous defaults come back.
  void Set(Behaviour behaviour, int64_t times);
  // Back to the startup defaults.
  void Reset();

  // The defaults for one new request; consumes one use of a counted override. Lock-free unless a
  // counted override is active or the defaults changed since this thread last looked.
  std::shared_ptr<const Behaviour> ForNextRequest();

  std::shared_ptr<const Behaviour> Current() const;
  std::shared_ptr<const Behaviour> Startup() const { return startup_; }

 private:
  const std::shared_ptr<const Behaviour> startup_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Behaviour> current_;  // guarded by mutex_
  std::shared_ptr<const Behaviour> counted_;  // guarded by mutex_
  int64_t counted_remaining_ = 0;             // guarded by mutex_
  std::atomic<bool> counted_active_{false};
  std::atomic<uint64_t> version_{1};
};

}  // namespace gw::testing
