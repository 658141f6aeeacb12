// Tests of the worker registry behind `gwctl status`.
#include "control_plane/discovery/worker_registry.h"

#include "gtest/gtest.h"

namespace gw::cp {
namespace {

TEST(WorkerRegistryTest, TracksAckNackAndDisconnect) {
  WorkerRegistry registry;
  const auto stream = registry.Connect("w1", "10.0.0.1:8080", 3);
  registry.Ack(stream, 4);
  registry.Nack(stream, 4, 5, "bad");
  auto workers = registry.Workers();
  ASSERT_EQ(workers.size(), 1u);
  EXPECT_EQ(workers[0].worker_id(), "w1");
  EXPECT_TRUE(workers[0].connected());
  EXPECT_EQ(workers[0].applied_version(), 4);
  EXPECT_EQ(workers[0].last_nack_version(), 5);
  EXPECT_EQ(workers[0].last_nack_message(), "bad");

  registry.Disconnect(stream);
  workers = registry.Workers();
  ASSERT_EQ(workers.size(), 1u);
  EXPECT_FALSE(workers[0].connected());
  EXPECT_EQ(workers[0].applied_version(), 4);
  EXPECT_GT(workers[0].last_seen().seconds(), 0);
}

TEST(WorkerRegistryTest, ShowsTheNewestConnectedStreamOfAWorker) {
  WorkerRegistry registry;
  const auto first = registry.Connect("w1", "a:1", 1);
  const auto second = registry.Connect("w1", "b:1", 2);
  ASSERT_EQ(registry.Workers().size(), 1u);
  EXPECT_EQ(registry.Workers()[0].address(), "b:1");

  // The newest stream ends first: the older, still connected one is shown.
  registry.Disconnect(second);
  EXPECT_TRUE(registry.Workers()[0].connected());
  EXPECT_EQ(registry.Workers()[0].address(), "a:1");

  registry.Disconnect(first);
  EXPECT_FALSE(registry.Workers()[0].connected());
  // Updates for a stream already gone are ignored.
  registry.Ack(second, 9);
  EXPECT_NE(registry.Workers()[0].applied_version(), 9);
}

TEST(WorkerRegistryTest, ReconnectKeepsTheLastNackVisibleAndListsWorkersById) {
  WorkerRegistry registry;
  const auto stream = registry.Connect("w2", "", 1);
  registry.Nack(stream, 1, 2, "nope");
  registry.Disconnect(stream);
  registry.Connect("w2", "", 1);
  registry.Connect("w1", "", 0);
  const auto workers = registry.Workers();
  ASSERT_EQ(workers.size(), 2u);
  EXPECT_EQ(workers[0].worker_id(), "w1");
  EXPECT_EQ(workers[1].worker_id(), "w2");
  EXPECT_TRUE(workers[1].connected());
  EXPECT_EQ(workers[1].last_nack_version(), 2);
}

}  // namespace
}  // namespace gw::cp
