// Waiting for a condition in tests without sleeping as synchronisation: poll with a deadline.
//   ASSERT_TRUE(PollUntil([&] { return store.version() == 2; }, absl::Seconds(5)));
#pragma once

#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace gw::testing {

template <typename Condition>
bool PollUntil(Condition condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (condition()) return true;
    if (absl::Now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace gw::testing
