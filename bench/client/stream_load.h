// A streaming load generator: `concurrency` connections each run SSE chat streams back to back
// for a while, timing the first event of every stream and the gap between its events, and
// counting the streams that stalled or ended early and the reads that delivered events together.
//   StreamLoadResult r = RunStreamLoad({.spec = spec, .concurrency = 1000, .duration = 10s});
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/client/http_exchange.h"

namespace gw::bench {

struct StreamLoadOptions {
  RequestSpec spec;
  int concurrency = 1;
  // No stream starts after this; the ones running may take `grace` more to finish.
  std::chrono::milliseconds duration{5000};
  std::chrono::milliseconds grace{10000};
  // Connections start evenly spread over this time (1,000 connects at once overflow accept
  // backlogs and would measure SYN retries).
  std::chrono::milliseconds ramp{0};
  // A gap between two events longer than this marks the stream as stalled.
  std::chrono::milliseconds stall_gap{1000};
};

struct StreamLoadResult {
  int64_t started = 0;
  int64_t completed = 0;  // 2xx and ended with data: [DONE]
  int64_t failed = 0;     // errors, other statuses, or no [DONE]
  int64_t stalled = 0;    // a gap over stall_gap, or unfinished when the grace period ended
  int64_t events = 0;     // data events received
  // Reads that completed more than one content event: the proxy held one back and sent it with
  // the next (the [DONE] event and the finish event may come together; they are not counted).
  int64_t batched_reads = 0;
  double seconds = 0;                   // from the start until the last stream ended
  std::vector<int64_t> first_event_us;  // request sent until the first event complete
  std::vector<int64_t> gap_us;          // between consecutive events of a stream
  std::string first_error;
};

StreamLoadResult RunStreamLoad(const StreamLoadOptions& options);

}  // namespace gw::bench
