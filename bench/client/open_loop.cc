#include "bench/client/open_loop.h"

#include <deque>
#include <memory>
#include <optional>

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

class OpenLoopRun {
 public:
  OpenLoopRun(asio::io_context& io, const OpenLoopOptions& options)
      : io_(io), options_(options), request_(BuildRequest(options.spec)) {}

  void Start() {
    start_ = Clock::now();
    asio::co_spawn(io_, Schedule(), asio::detached);
  }

  OpenLoopResult Finish() {
    result_.unfinished = static_cast<int64_t>(due_.size()) + in_flight_;
    result_.seconds = std::chrono::duration<double>(last_answer_ - start_).count();
    return std::move(result_);
  }

 private:
  struct Worker {
    explicit Worker(asio::io_context& io) : conn(io.get_executor()), wake(io) {}
    BenchConnection conn;
    asio::steady_timer wake;  // cancelled to wake an idle worker
    std::optional<Clock::time_point> assigned;
  };

  // Releases every request at its due time to an idle connection, opening one when none is idle
  // and fewer than `connections` exist, else queueing it (its latency keeps counting).
  asio::awaitable<void> Schedule() {
    asio::steady_timer timer(io_);
    const auto interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(1.0 / options_.rate_per_s));
    const Clock::time_point end = start_ + options_.duration;
    Clock::time_point next = start_;
    while (next < end) {
      timer.expires_at(next);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      const Clock::time_point now = Clock::now();
      while (next <= now && next < end) {
        ++result_.due;
        due_.push_back(next);
        next += interval;
      }
      Dispatch();
    }
    stopping_ = true;
    for (Worker* worker : idle_) worker->wake.cancel();
    idle_.clear();
    // Let the answers still owed arrive (within the grace period), then stop everything.
    const Clock::time_point grace_end = Clock::now() + options_.grace;
    while ((in_flight_ > 0 || !due_.empty()) && Clock::now() < grace_end) {
      timer.expires_after(std::chrono::milliseconds(1));
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    io_.stop();
  }

  // Hands due requests to idle connections first, then to new ones while fewer than
  // `connections` exist; the rest wait in due_ with their latency counting.
  void Dispatch() {
    while (!due_.empty() && !idle_.empty()) {
      Worker* worker = idle_.back();
      idle_.pop_back();
      Assign(*worker);
      worker->wake.cancel();
    }
    while (!due_.empty() && static_cast<int>(workers_.size()) < options_.connections) {
      workers_.push_back(std::make_unique<Worker>(io_));
      Assign(*workers_.back());
      asio::co_spawn(io_, Work(*workers_.back()), asio::detached);
    }
  }

  void Assign(Worker& worker) {
    worker.assigned = due_.front();
    due_.pop_front();
    ++in_flight_;
  }

  asio::awaitable<void> Work(Worker& worker) {
    while (true) {
      if (!worker.assigned) {
        if (!due_.empty()) {
          Assign(worker);
        } else {
          if (stopping_) co_return;
          idle_.push_back(&worker);
          worker.wake.expires_at(Clock::time_point::max());
          co_await worker.wake.async_wait(asio::as_tuple(asio::use_awaitable));
          if (!worker.assigned) co_return;  // woken by the end of the run
        }
      }
      const Clock::time_point due = *worker.assigned;
      worker.assigned.reset();
      absl::StatusOr<int> status = co_await Exchange(worker.conn, options_.spec.endpoint, request_,
                                                     [](absl::string_view, Clock::time_point) {});
      --in_flight_;
      const Clock::time_point now = Clock::now();
      last_answer_ = now;
      if (!status.ok()) {
        ++result_.errors;
        if (result_.first_error.empty()) result_.first_error = status.status().ToString();
      } else if (*status / 100 != 2) {
        ++result_.non_2xx;
      } else {
        ++result_.completed;
        result_.latencies_us.push_back(MicrosBetween(due, now));
      }
    }
  }

  asio::io_context& io_;
  const OpenLoopOptions& options_;
  const std::string request_;
  Clock::time_point start_;
  Clock::time_point last_answer_;
  std::deque<Clock::time_point> due_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<Worker*> idle_;
  int in_flight_ = 0;  // assigned to a connection and not answered yet
  bool stopping_ = false;
  OpenLoopResult result_;
};

}  // namespace

OpenLoopResult RunOpenLoop(const OpenLoopOptions& options) {
  asio::io_context io(1);
  OpenLoopRun run(io, options);
  run.Start();
  io.run();
  return run.Finish();
}

}  // namespace gw::bench
