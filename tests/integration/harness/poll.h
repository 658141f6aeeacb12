// Waiting for a condition without sleeping a fixed time: tests poll with a deadline instead.
//   ASSERT_TRUE(PollUntil([&] { return worker.Log().find("applied") != npos; }, absl::Seconds(5)));
#pragma once

#include <functional>

#include "absl/time/time.h"

namespace gw::testing {

// Calls `condition` every `interval` until it returns true (true) or `timeout` passes (false).
// The condition is always evaluated at least once, and once more at the deadline.
bool PollUntil(const std::function<bool()>& condition, absl::Duration timeout,
               absl::Duration interval = absl::Milliseconds(10));

}  // namespace gw::testing
