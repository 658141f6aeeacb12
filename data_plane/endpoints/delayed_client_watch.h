// Watches a handler's client only once its upstream call has lasted a while: a watch costs the I/O
// thread a failing receive and a cancellation, and a fast answer is back before it could matter.
//   DelayedClientWatches watches(executor, absl::Milliseconds(50));  // one per I/O thread
//   DelayedClientWatch watch(watches, ctx.client_stream, listener);  // per call, on that thread
//   ... the call ...  // `listener` hears of a client gone from 50 ms into the call on
#pragma once

#include <chrono>

#include "absl/time/time.h"
#include "boost/asio/any_io_executor.hpp"
#include "boost/asio/steady_timer.hpp"
#include "data_plane/pipeline/client_stream.h"

namespace gw::dp {

class DelayedClientWatch;

// The watches of one I/O thread that have not started yet, oldest first, and the one timer that
// starts them. Used only on its executor's thread.
class DelayedClientWatches {
 public:
  DelayedClientWatches(const boost::asio::any_io_executor& executor, absl::Duration delay);
  // Lets go of the watches still waiting: a thread's requests abandoned at the drain deadline
  // are destroyed with its io_context, after the thread (and so this) has gone.
  ~DelayedClientWatches();
  DelayedClientWatches(const DelayedClientWatches&) = delete;
  DelayedClientWatches& operator=(const DelayedClientWatches&) = delete;

 private:
  friend class DelayedClientWatch;
  using Clock = std::chrono::steady_clock;

  void Add(DelayedClientWatch& watch);
  void Remove(DelayedClientWatch& watch);
  void WaitUntil(Clock::time_point at);
  // Starts every watch whose time has come, then waits for the next one.
  void StartDue();

  boost::asio::steady_timer timer_;
  const Clock::duration delay_;
  bool timer_pending_ = false;
  DelayedClientWatch* oldest_ = nullptr;
  DelayedClientWatch* newest_ = nullptr;
};

// From `delay` after it is made until it is destroyed, watches `client` (nothing when null) for
// `listener`, as ClientStream::WatchClient does; `listener` must outlive it.
class DelayedClientWatch {
 public:
  DelayedClientWatch(DelayedClientWatches& watches, ClientStream* client,
                     ClientGoneListener& listener);
  ~DelayedClientWatch();
  DelayedClientWatch(const DelayedClientWatch&) = delete;
  DelayedClientWatch& operator=(const DelayedClientWatch&) = delete;

 private:
  friend class DelayedClientWatches;

  DelayedClientWatches& watches_;
  ClientStream* const client_;
  ClientGoneListener& listener_;
  DelayedClientWatches::Clock::time_point due_;
  DelayedClientWatch* older_ = nullptr;  // Links while waiting in `watches_`.
  DelayedClientWatch* newer_ = nullptr;
  bool waiting_ = false;
  bool watching_ = false;
};

}  // namespace gw::dp
