#include "data_plane/endpoints/delayed_client_watch.h"

#include "boost/asio/error.hpp"

namespace gw::dp {

DelayedClientWatches::DelayedClientWatches(const boost::asio::any_io_executor& executor,
                                           absl::Duration delay)
    : timer_(executor),
      delay_(std::chrono::duration_cast<Clock::duration>(absl::ToChronoNanoseconds(delay))) {}

DelayedClientWatches::~DelayedClientWatches() {
  while (oldest_ != nullptr) Remove(*oldest_);
}

void DelayedClientWatches::Add(DelayedClientWatch& watch) {
  watch.due_ = Clock::now() + delay_;
  watch.older_ = newest_;
  watch.newer_ = nullptr;
  (newest_ != nullptr ? newest_->newer_ : oldest_) = &watch;
  newest_ = &watch;
  watch.waiting_ = true;
  // One wait for all: a watch that ends before its time costs two links and nothing else.
  if (!timer_pending_) WaitUntil(watch.due_);
}

void DelayedClientWatches::WaitUntil(Clock::time_point at) {
  timer_pending_ = true;
  timer_.expires_at(at);
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error == boost::asio::error::operation_aborted) return;  // The timer is being destroyed.
    timer_pending_ = false;
    StartDue();
  });
}

void DelayedClientWatches::Remove(DelayedClientWatch& watch) {
  (watch.older_ != nullptr ? watch.older_->newer_ : oldest_) = watch.newer_;
  (watch.newer_ != nullptr ? watch.newer_->older_ : newest_) = watch.older_;
  watch.older_ = watch.newer_ = nullptr;
  watch.waiting_ = false;
}

void DelayedClientWatches::StartDue() {
  const Clock::time_point now = Clock::now();
  while (oldest_ != nullptr && oldest_->due_ <= now) {
    DelayedClientWatch& watch = *oldest_;
    Remove(watch);
    watch.watching_ = true;
    // Never tells the listener from inside this call, so the list is not touched meanwhile.
    watch.client_->WatchClient(watch.listener_);
  }
  if (oldest_ != nullptr) WaitUntil(oldest_->due_);
}

DelayedClientWatch::DelayedClientWatch(DelayedClientWatches& watches, ClientStream* client,
                                       ClientGoneListener& listener)
    : watches_(watches), client_(client), listener_(listener) {
  if (client_ != nullptr) watches_.Add(*this);
}

DelayedClientWatch::~DelayedClientWatch() {
  if (waiting_) watches_.Remove(*this);
  if (watching_) client_->StopWatchingClient();
}

}  // namespace gw::dp
