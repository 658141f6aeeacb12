// DelayedClientWatch: a client is watched only from the delay into the call on, a call that ends
// sooner never touches the client, and a started watch is stopped when the call ends.
#include "data_plane/endpoints/delayed_client_watch.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <vector>

#include "boost/asio/io_context.hpp"

namespace gw::dp {
namespace {

namespace asio = boost::asio;
using std::chrono::steady_clock;

constexpr auto kDelay = std::chrono::milliseconds(20);

class RecordingClient final : public ClientStream {
 public:
  asio::awaitable<bool> Begin(unsigned, absl::string_view) override { co_return true; }
  asio::awaitable<bool> Write(absl::string_view) override { co_return true; }
  asio::awaitable<bool> End(bool) override { co_return true; }
  void WatchClient(ClientGoneListener& listener) override {
    watched.push_back(&listener);
    watched_at.push_back(steady_clock::now());
  }
  void StopWatchingClient() override { ++stops; }
  bool started() const override { return false; }

  std::vector<ClientGoneListener*> watched;
  std::vector<steady_clock::time_point> watched_at;
  int stops = 0;
};

class NoListener final : public ClientGoneListener {
 public:
  void OnClientGone() override {}
};

class DelayedClientWatchTest : public ::testing::Test {
 protected:
  // Runs the loop until `done` or five seconds pass.
  template <typename Done>
  bool RunUntil(Done done) {
    const auto deadline = steady_clock::now() + std::chrono::seconds(5);
    while (!done() && steady_clock::now() < deadline) {
      io_.restart();
      io_.run_one_for(std::chrono::milliseconds(100));
    }
    return done();
  }

  asio::io_context io_;
  DelayedClientWatches watches_{io_.get_executor(), absl::Milliseconds(20)};
  RecordingClient client_;
  NoListener first_, second_, third_;
};

TEST_F(DelayedClientWatchTest, ACallThatEndsBeforeTheDelayNeverWatchesItsClient) {
  { const DelayedClientWatch watch(watches_, &client_, first_); }
  // The timer still fires once, finds nothing due and stops: the loop runs out of work.
  io_.run_for(std::chrono::seconds(5));
  EXPECT_TRUE(client_.watched.empty());
  EXPECT_EQ(client_.stops, 0);
}

TEST_F(DelayedClientWatchTest, ACallStillRunningAfterTheDelayWatchesItsClientUntilItEnds) {
  const steady_clock::time_point made = steady_clock::now();
  std::optional<DelayedClientWatch> watch(std::in_place, watches_, &client_, first_);
  ASSERT_TRUE(RunUntil([&] { return !client_.watched.empty(); }));
  EXPECT_EQ(client_.watched, std::vector<ClientGoneListener*>{&first_});
  EXPECT_GE(client_.watched_at[0] - made, kDelay);
  EXPECT_EQ(client_.stops, 0);
  watch.reset();
  EXPECT_EQ(client_.stops, 1);
}

TEST_F(DelayedClientWatchTest, WatchesStartInTheOrderTheyWereMadeSkippingOnesThatEnded) {
  std::optional<DelayedClientWatch> a(std::in_place, watches_, &client_, first_);
  std::optional<DelayedClientWatch> b(std::in_place, watches_, &client_, second_);
  std::optional<DelayedClientWatch> c(std::in_place, watches_, &client_, third_);
  b.reset();
  ASSERT_TRUE(RunUntil([&] { return client_.watched.size() == 2; }));
  EXPECT_EQ(client_.watched, (std::vector<ClientGoneListener*>{&first_, &third_}));
  io_.run_for(std::chrono::seconds(5));  // Nothing else is due: the loop runs out of work.
  EXPECT_EQ(client_.watched.size(), 2u);
  a.reset();
  c.reset();
  EXPECT_EQ(client_.stops, 2);
}

TEST_F(DelayedClientWatchTest, AWatchMadeWhileAnotherWaitsIsStartedAtItsOwnTime) {
  std::optional<DelayedClientWatch> a(std::in_place, watches_, &client_, first_);
  io_.run_for(kDelay / 2);  // Half of a's delay passes: b waits behind a's timer.
  const steady_clock::time_point made = steady_clock::now();
  std::optional<DelayedClientWatch> b(std::in_place, watches_, &client_, second_);
  ASSERT_TRUE(RunUntil([&] { return client_.watched.size() == 2; }));
  EXPECT_EQ(client_.watched, (std::vector<ClientGoneListener*>{&first_, &second_}));
  EXPECT_GE(client_.watched_at[1] - made, kDelay);  // The one timer waited again, for b.
}

TEST_F(DelayedClientWatchTest, AWatchThatOutlivesItsThreadsWatchesLeavesThemAlone) {
  // As a request abandoned at the drain deadline does: its frame goes with the io_context, after
  // the thread's watches. Their memory is marked once they are gone; a watch that still unlinked
  // itself would write into it.
  alignas(DelayedClientWatches) unsigned char storage[sizeof(DelayedClientWatches)];
  auto* watches = new (storage) DelayedClientWatches(io_.get_executor(), absl::Milliseconds(20));
  std::optional<DelayedClientWatch> a(std::in_place, *watches, &client_, first_);
  std::optional<DelayedClientWatch> b(std::in_place, *watches, &client_, second_);
  watches->~DelayedClientWatches();
  std::memset(storage, 0xa5, sizeof(storage));
  b.reset();
  a.reset();
  for (const unsigned char byte : storage) ASSERT_EQ(byte, 0xa5);
  EXPECT_TRUE(client_.watched.empty());
  EXPECT_EQ(client_.stops, 0);
}

TEST_F(DelayedClientWatchTest, WithoutAClientNothingIsScheduled) {
  { const DelayedClientWatch watch(watches_, nullptr, first_); }
  EXPECT_EQ(io_.poll(), 0u);  // No timer was started.
}

}  // namespace
}  // namespace gw::dp
