#include "data_plane/usage/record_id.h"

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace gw::dp {
namespace {

TEST(RecordIdTest, UniqueAcrossTwoBootsOfTheSameWorker) {
  std::set<std::string> ids;
  for (int boot = 0; boot < 2; ++boot) {
    RecordIdGenerator generator("worker-1");  // A restart starts the counter at 0 again.
    for (int i = 0; i < 1000; ++i) EXPECT_TRUE(ids.insert(generator.Next()).second);
  }
  EXPECT_EQ(ids.size(), 2000u);
}

TEST(RecordIdTest, UniqueAcrossThreadsAndWorkers) {
  RecordIdGenerator generator("worker-1");
  std::vector<std::vector<std::string>> per_thread(4);
  std::vector<std::thread> threads;
  for (auto& out : per_thread) {
    threads.emplace_back([&generator, &out] {
      for (int i = 0; i < 2000; ++i) out.push_back(generator.Next());
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::set<std::string> ids;
  for (const auto& out : per_thread) ids.insert(out.begin(), out.end());
  RecordIdGenerator other("worker-2");
  ids.insert(other.Next());
  EXPECT_EQ(ids.size(), 8001u);
}

TEST(RecordIdTest, FitsTheControlPlanesLimitEvenForALongWorkerId) {
  RecordIdGenerator generator(std::string(300, 'w'));
  const std::string id = generator.Next();
  EXPECT_LE(id.size(), 128u);
  EXPECT_EQ(generator.boot_nonce().size(), 16u);
  EXPECT_NE(id.find(generator.boot_nonce()), std::string::npos);
}

}  // namespace
}  // namespace gw::dp
