// Counters of the fake provider, served by GET /_fake/stats so tests can check what happened on
// the provider side (for instance that the gateway closed a stream its client abandoned).
//   stats.client_disconnects.fetch_add(1, std::memory_order_relaxed);
#pragma once

#include <atomic>
#include <cstdint>

#include "boost/json/object.hpp"

namespace gw::testing {

struct FakeStats {
  std::atomic<int64_t> connections{0};  // accepted
  std::atomic<int64_t> active_connections{0};
  std::atomic<int64_t> requests{0};           // every parsed request, control paths included
  std::atomic<int64_t> chat_completions{0};   // non-streaming answers started
  std::atomic<int64_t> chat_streams{0};       // streaming answers started
  std::atomic<int64_t> streams_completed{0};  // streams that reached data: [DONE]
  std::atomic<int64_t> embeddings{0};
  std::atomic<int64_t> models{0};
  std::atomic<int64_t> error_responses{0};  // 4xx/5xx answers, injected or not
  std::atomic<int64_t> resets{0};           // connections reset on purpose
  std::atomic<int64_t> stalls{0};           // answers that stalled on purpose
  std::atomic<int64_t> truncations{0};      // bodies cut short on purpose
  // The client closed the connection (or it failed) while an answer was being delayed, stalled
  // or streamed, or while its body was being written.
  std::atomic<int64_t> client_disconnects{0};

  void Reset();
  boost::json::object ToJson() const;
};

}  // namespace gw::testing
