#include "bench/client/stream_load.h"

#include <memory>

#include "absl/strings/match.h"
#include "boost/asio/co_spawn.hpp"
#include "boost/asio/detached.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/steady_timer.hpp"

namespace gw::bench {
namespace {

namespace asio = boost::asio;

int64_t MicrosBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::microseconds>(to - from).count();
}

// Splits a stream's body into SSE events as pieces arrive ("data: ...\n\n").
class EventCounter {
 public:
  // Returns how many events the piece completed; `done` turns true at "data: [DONE]".
  int Feed(absl::string_view piece, bool* done, bool* done_in_piece) {
    int completed = 0;
    *done_in_piece = false;
    for (char c : piece) {
      pending_.push_back(c);
      if (c == '\n' && pending_.size() >= 2 && pending_[pending_.size() - 2] == '\n') {
        if (absl::StartsWith(pending_, "data: [DONE]")) {
          *done = true;
          *done_in_piece = true;
        } else {
          ++completed;
        }
        pending_.clear();
      }
    }
    return completed;
  }

 private:
  std::string pending_;
};

class StreamLoadRun {
 public:
  StreamLoadRun(asio::io_context& io, const StreamLoadOptions& options)
      : io_(io), options_(options), request_(BuildRequest(options.spec)) {}

  void Start() {
    start_ = Clock::now();
    last_end_ = start_;
    for (int i = 0; i < options_.concurrency; ++i) {
      const auto delay = options_.ramp * i / std::max(1, options_.concurrency);
      asio::co_spawn(io_, Connection(start_ + delay), asio::detached);
    }
    asio::co_spawn(io_, Watch(), asio::detached);
  }

  StreamLoadResult Finish() {
    result_.stalled += running_;
    result_.seconds = std::chrono::duration<double>(last_end_ - start_).count();
    return std::move(result_);
  }

 private:
  asio::awaitable<void> Connection(Clock::time_point first_start) {
    asio::steady_timer timer(io_);
    timer.expires_at(first_start);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    BenchConnection conn(io_.get_executor());
    const Clock::time_point stop_starting = start_ + options_.duration;
    while (Clock::now() < stop_starting) {
      ++running_;
      ++result_.started;
      co_await OneStream(conn);
      --running_;
      last_end_ = Clock::now();
    }
    if (--connections_left_ == 0) io_.stop();
  }

  asio::awaitable<void> OneStream(BenchConnection& conn) {
    EventCounter counter;
    bool done = false;
    bool stalled = false;
    int64_t events = 0;
    const Clock::time_point sent = Clock::now();
    Clock::time_point last_event{};
    absl::StatusOr<int> status = co_await Exchange(
        conn, options_.spec.endpoint, request_, [&](absl::string_view piece, Clock::time_point t) {
          bool done_in_piece = false;
          const int completed = counter.Feed(piece, &done, &done_in_piece);
          if (completed == 0) return;
          // Several content events in one read mean one was held back (the last content event
          // and the finish event, or the finish and [DONE], may travel together).
          if (completed > 1 && !done_in_piece) ++result_.batched_reads;
          for (int i = 0; i < completed; ++i) {
            if (events == 0) {
              result_.first_event_us.push_back(MicrosBetween(sent, t));
            } else {
              const int64_t gap = MicrosBetween(last_event, t);
              result_.gap_us.push_back(gap);
              if (gap > std::chrono::duration_cast<std::chrono::microseconds>(options_.stall_gap)
                            .count()) {
                stalled = true;
              }
            }
            last_event = t;
            ++events;
          }
        });
    result_.events += events;
    if (stalled) ++result_.stalled;
    if (!status.ok()) {
      ++result_.failed;
      if (result_.first_error.empty()) result_.first_error = status.status().ToString();
    } else if (*status / 100 != 2 || !done) {
      ++result_.failed;
      if (result_.first_error.empty()) {
        result_.first_error = absl::StrCat("status ", *status, done ? "" : " without [DONE]");
      }
    } else {
      ++result_.completed;
    }
  }

  // Ends the run when the grace period is over, whatever is still streaming.
  asio::awaitable<void> Watch() {
    asio::steady_timer timer(io_);
    timer.expires_at(start_ + options_.duration + options_.grace);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    io_.stop();
  }

  asio::io_context& io_;
  const StreamLoadOptions& options_;
  const std::string request_;
  Clock::time_point start_;
  Clock::time_point last_end_;
  int running_ = 0;
  int connections_left_ = options_.concurrency;
  StreamLoadResult result_;
};

}  // namespace

StreamLoadResult RunStreamLoad(const StreamLoadOptions& options) {
  asio::io_context io(1);
  StreamLoadRun run(io, options);
  run.Start();
  io.run();
  return run.Finish();
}

}  // namespace gw::bench
