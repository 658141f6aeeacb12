// The worker's ConfigDiscovery client against a real in-process gRPC server.
#include "data_plane/config/discovery_client.h"

#include <memory>
#include <string>

#include "common/feature_level.h"
#include "data_plane/config/snapshot_file.h"
#include "fake_config_discovery_server.h"
#include "gtest/gtest.h"
#include "poll_until.h"
#include "temp_dir.h"
#include "test_snapshots.h"

namespace gw::dp {
namespace {
using ::gw::testing::AddKey;
using ::gw::testing::FakeConfigDiscoveryServer;
using ::gw::testing::MakeSnapshot;
using ::gw::testing::PollUntil;
using ::gw::testing::Serialized;
using ::gw::testing::TempDir;
using Received = FakeConfigDiscoveryServer::Received;

constexpr char kToken[] = "worker-token-for-tests-0123456789";
constexpr absl::Duration kWait = absl::Seconds(5);

class DiscoveryClientTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(fake_.Start().ok()); }

  std::unique_ptr<DiscoveryClient> StartClient(const std::string& token = kToken) {
    DiscoveryClientOptions options;
    options.control_plane = fake_.address();
    options.worker_token = token;
    options.worker_id = "wrk_test";
    options.node_address = "127.0.0.1:18080";
    options.build_version = "test";
    options.initial_backoff = absl::Milliseconds(50);
    options.max_backoff = absl::Milliseconds(500);
    auto client = std::make_unique<DiscoveryClient>(options, &applier_, &budget_, &revocations_);
    client->Start();
    return client;
  }

  // The nonce of the last snapshot the fake sent with `version`.
  std::string NonceOfSnapshot(int64_t version) {
    std::string nonce;
    for (const auto& sent : fake_.sent()) {
      if (sent.response.has_snapshot() && sent.response.version_info() == version) {
        nonce = sent.response.nonce();
      }
    }
    return nonce;
  }

  TempDir dir_;
  FakeConfigDiscoveryServer fake_{kToken};
  SnapshotStore store_;
  SnapshotApplier applier_{&store_, dir_.path()};
  BudgetStateSlot budget_;
  KeyRevocationSlot revocations_;
};

TEST_F(DiscoveryClientTest, SubscribesWithLastAppliedVersionAppliesAcksAndPersists) {
  ASSERT_TRUE(applier_.Apply(Serialized(MakeSnapshot(3))).ok());
  auto snapshot = MakeSnapshot(4);
  AddKey(snapshot, "key_a", "gwk-a", "team-a");
  fake_.SetSnapshot(snapshot);
  auto client = StartClient();

  const auto subscribe = fake_.WaitForRequest([](const Received&) { return true; }, kWait);
  ASSERT_TRUE(subscribe.has_value());
  EXPECT_EQ(subscribe->request.version_info(), 3);
  EXPECT_EQ(subscribe->request.response_nonce(), "");
  EXPECT_EQ(subscribe->request.node().id(), "wrk_test");
  EXPECT_EQ(subscribe->request.node().address(), "127.0.0.1:18080");
  EXPECT_EQ(subscribe->request.node().feature_level(), kWorkerFeatureLevel);

  const auto ack = fake_.WaitForRequest(
      [](const Received& r) { return !r.request.response_nonce().empty(); }, kWait);
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->request.response_nonce(), NonceOfSnapshot(4));
  EXPECT_EQ(ack->request.version_info(), 4);
  EXPECT_FALSE(ack->request.has_error_detail());
  EXPECT_EQ(store_.version(), 4);
  EXPECT_NE(store_.Load()->FindKeyByDigest(Sha256("gwk-a")), nullptr);

  // Persisted right after the ACK.
  ASSERT_TRUE(PollUntil(
      [&] {
        auto bytes = LoadPersistedSnapshot(dir_.path());
        return bytes.ok() && *bytes == Serialized(snapshot);
      },
      kWait));
  EXPECT_TRUE(client->connected());
}

TEST_F(DiscoveryClientTest, NacksASnapshotNeedingANewerFeatureLevelAndKeepsTheOldOne) {
  fake_.SetSnapshot(MakeSnapshot(1));
  auto client = StartClient();
  ASSERT_TRUE(PollUntil([&] { return store_.version() == 1; }, kWait));

  auto newer = MakeSnapshot(2);
  newer.set_required_feature_level(kWorkerFeatureLevel + 1);
  fake_.SetSnapshot(newer);
  const auto nack =
      fake_.WaitForRequest([](const Received& r) { return r.request.has_error_detail(); }, kWait);
  ASSERT_TRUE(nack.has_value());
  EXPECT_EQ(nack->request.response_nonce(), NonceOfSnapshot(2));
  EXPECT_EQ(nack->request.version_info(), 1);
  EXPECT_EQ(nack->request.error_detail().code(),
            static_cast<int>(absl::StatusCode::kFailedPrecondition));
  EXPECT_NE(nack->request.error_detail().message().find("feature level"), std::string::npos)
      << nack->request.error_detail().message();
  EXPECT_EQ(store_.version(), 1);

  // The next good version is applied as usual.
  fake_.SetSnapshot(MakeSnapshot(3));
  EXPECT_TRUE(PollUntil([&] { return store_.version() == 3; }, kWait));
}

TEST_F(DiscoveryClientTest, NacksAnInvalidSnapshot) {
  auto invalid = MakeSnapshot(1);
  invalid.mutable_config()->mutable_models(0)->set_provider("missing");
  fake_.SetSnapshot(invalid);
  auto client = StartClient();
  const auto nack =
      fake_.WaitForRequest([](const Received& r) { return r.request.has_error_detail(); }, kWait);
  ASSERT_TRUE(nack.has_value());
  EXPECT_EQ(nack->request.version_info(), 0);
  EXPECT_EQ(nack->request.error_detail().code(),
            static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(store_.Load(), nullptr);
}

TEST_F(DiscoveryClientTest, ReceivesSnapshotsLargerThanGrpcsDefaultLimit) {
  auto big = MakeSnapshot(1);
  for (int i = 0; i < 100000; ++i) {
    AddKey(big, "key_" + std::to_string(i), "gwk-key-" + std::to_string(i), "team-a");
  }
  ASSERT_GT(big.ByteSizeLong(), 4u * 1024 * 1024);
  fake_.SetSnapshot(big);
  auto client = StartClient();
  ASSERT_TRUE(PollUntil([&] { return store_.version() == 1; }, absl::Seconds(20)));
  EXPECT_EQ(store_.Load()->key_count(), 100000u);
}

TEST_F(DiscoveryClientTest, ReconnectsAfterTheServerRestarts) {
  fake_.SetSnapshot(MakeSnapshot(1));
  auto client = StartClient();
  ASSERT_TRUE(PollUntil([&] { return store_.version() == 1 && client->connected(); }, kWait));

  const int port = fake_.port();
  fake_.Stop();
  ASSERT_TRUE(PollUntil([&] { return !client->connected(); }, kWait));
  fake_.SetSnapshot(MakeSnapshot(2));
  ASSERT_TRUE(fake_.Start(port).ok());

  const absl::Time restarted = absl::Now();
  ASSERT_TRUE(PollUntil([&] { return store_.version() == 2; }, kWait));
  EXPECT_LT(absl::Now() - restarted, absl::Seconds(3));
  // The new stream subscribed with the version the worker had.
  const auto resubscribe =
      fake_.WaitForRequest([](const Received& r) { return r.stream == 2; }, kWait);
  ASSERT_TRUE(resubscribe.has_value());
  EXPECT_EQ(resubscribe->request.version_info(), 1);
  EXPECT_EQ(resubscribe->request.response_nonce(), "");
}

TEST_F(DiscoveryClientTest, StoresNewestBudgetStateWithoutAcking) {
  fake_.SetSnapshot(MakeSnapshot(1));
  auto client = StartClient();
  ASSERT_TRUE(PollUntil([&] { return store_.version() == 1; }, kWait));
  // The ACK of version 1 leaves after the swap: count from after it.
  ASSERT_TRUE(
      fake_.WaitForRequest([](const Received& r) { return r.request.version_info() == 1; }, kWait)
          .has_value());
  const size_t requests_before = fake_.received().size();

  gateway::config::v1::BudgetState state;
  state.set_sequence(10);
  auto* spend = state.add_teams();
  spend->set_team("team-a");
  spend->set_spend_pico_usd(123);
  fake_.SendBudgetState(state);
  ASSERT_TRUE(PollUntil([&] { return budget_.Load() != nullptr; }, kWait));
  EXPECT_EQ(budget_.Load()->sequence(), 10);
  EXPECT_EQ(budget_.Load()->teams(0).spend_pico_usd(), 123);

  state.set_sequence(9);  // Stale: dropped.
  fake_.SendBudgetState(state);
  state.set_sequence(11);
  fake_.SendBudgetState(state);
  ASSERT_TRUE(PollUntil([&] { return budget_.Load()->sequence() == 11; }, kWait));
  // Budget state is not acknowledged: a snapshot push afterwards yields exactly one more request.
  fake_.SetSnapshot(MakeSnapshot(2));
  ASSERT_TRUE(
      fake_.WaitForRequest([](const Received& r) { return r.request.version_info() == 2; }, kWait)
          .has_value());
  EXPECT_EQ(fake_.received().size(), requests_before + 1);
}

TEST_F(DiscoveryClientTest, HoldsKeyRevocationsUntilTheSnapshotOfTheirVersionApplies) {
  auto snapshot = MakeSnapshot(1);
  AddKey(snapshot, "key_a", "gwk-a", "team-a");
  AddKey(snapshot, "key_b", "gwk-b", "team-a");
  fake_.SetSnapshot(snapshot);
  auto client = StartClient();
  ASSERT_TRUE(PollUntil([&] { return store_.version() == 1; }, kWait));
  // The ACK of version 1 leaves after the swap: count from after it.
  ASSERT_TRUE(
      fake_.WaitForRequest([](const Received& r) { return r.request.version_info() == 1; }, kWait)
          .has_value());
  const size_t requests_before = fake_.received().size();

  gateway::config::v1::KeyRevocations revocations;
  revocations.set_sequence(1);
  auto* revoked = revocations.add_keys();
  revoked->set_key_id("key_a");
  revoked->set_sha256(Sha256("gwk-a"));
  revoked->set_version(2);
  fake_.SendKeyRevocations(revocations);
  ASSERT_TRUE(PollUntil([&] { return revocations_.IsRevoked(Sha256("gwk-a")); }, kWait));
  EXPECT_FALSE(revocations_.IsRevoked(Sha256("gwk-b")));
  EXPECT_EQ(store_.version(), 1);  // Ahead of the snapshot.

  // The snapshot of version 2 leaves key_a out; the entry is then redundant and pruned. Not
  // acknowledged: the snapshot yields exactly one more request.
  auto without_a = MakeSnapshot(2);
  AddKey(without_a, "key_b", "gwk-b", "team-a");
  fake_.SetSnapshot(without_a);
  ASSERT_TRUE(PollUntil([&] { return store_.version() == 2; }, kWait));
  ASSERT_TRUE(PollUntil([&] { return revocations_.size() == 0; }, kWait));
  EXPECT_EQ(store_.Load()->FindKeyByDigest(Sha256("gwk-a")), nullptr);
  ASSERT_TRUE(
      fake_.WaitForRequest([](const Received& r) { return r.request.version_info() == 2; }, kWait)
          .has_value());
  EXPECT_EQ(fake_.received().size(), requests_before + 1);
}

TEST_F(DiscoveryClientTest, SendsTheWorkerTokenAndKeepsRetryingWhenRefused) {
  fake_.SetSnapshot(MakeSnapshot(1));
  auto client = StartClient("not-the-worker-token");
  ASSERT_TRUE(PollUntil([&] { return fake_.rejected_streams() >= 2; }, kWait));
  EXPECT_EQ(store_.version(), 0);
  EXPECT_FALSE(client->connected());
}

TEST_F(DiscoveryClientTest, StopClosesTheStream) {
  fake_.SetSnapshot(MakeSnapshot(1));
  auto client = StartClient();
  ASSERT_TRUE(PollUntil([&] { return fake_.open_streams() == 1; }, kWait));
  const absl::Time start = absl::Now();
  client->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_TRUE(PollUntil([&] { return fake_.open_streams() == 0; }, kWait));
}

}  // namespace
}  // namespace gw::dp
