// An open-loop load generator: requests are due at a fixed rate whatever the server does, and
// each latency is measured from the moment its request was due (not from when a connection was
// free to send it), so a slow server cannot hide its queueing (no coordinated omission).
//   OpenLoopResult r = RunOpenLoop({.spec = spec, .rate_per_s = 5000, .duration = 5s});
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/client/http_exchange.h"

namespace gw::bench {

struct OpenLoopOptions {
  RequestSpec spec;
  double rate_per_s = 1000;
  std::chrono::milliseconds duration{5000};
  int connections = 64;  // opened as needed, never more
  // After the last request is due, how long the unanswered ones may still take.
  std::chrono::milliseconds grace{2000};
};

struct OpenLoopResult {
  int64_t due = 0;                    // requests that fell due during the run
  int64_t completed = 0;              // answered with a 2xx
  int64_t non_2xx = 0;                // answered with another status
  int64_t errors = 0;                 // broken connections and malformed answers
  int64_t unfinished = 0;             // still queued or in flight when the grace period ended
  double seconds = 0;                 // from the first due time to the last answer
  std::vector<int64_t> latencies_us;  // of the 2xx answers, from the due time
  std::string first_error;
};

OpenLoopResult RunOpenLoop(const OpenLoopOptions& options);

}  // namespace gw::bench
