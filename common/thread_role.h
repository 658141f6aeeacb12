// Gives the calling thread a name (shown by top -H, ps -L, perf and gdb) and a scheduling
// priority by role: bookkeeping threads yield the CPU to the threads that serve requests.
//   SetThreadRole("gw-usage-write", ThreadPriority::kBackground);
#pragma once

#include "absl/strings/string_view.h"

namespace gw {

enum class ThreadPriority {
  kServing,  // Default priority.
  // Nice +10 (Linux: per thread): still scheduled at once on an idle core, but it does not
  // preempt serving threads that share its core, and it gets about a tenth of a contended one.
  // For work that batches and tolerates milliseconds of delay: spooling, reporting, flushing.
  kBackground,
};

// `name` is cut to the 15 bytes the kernel keeps. Failures are ignored: both are cosmetic or
// best effort.
void SetThreadRole(absl::string_view name, ThreadPriority priority);

}  // namespace gw
