// End-to-end tests of the ConfigDiscovery service: a real gRPC server on loopback, real client
// streams, and the behaviour a worker and `gwctl status` observe.
#include "control_plane/discovery/discovery_service.h"

#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "control_plane/auth/token_auth.h"
#include "control_plane/discovery/revocation_overlay.h"
#include "control_plane/discovery/server_options.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/control_plane/discovery/test_worker.h"

namespace gw::cp {
namespace {

using gateway::admin::v1::WorkerStatus;
using gateway::config::v1::BudgetState;
using gateway::config::v1::Snapshot;
using gateway::discovery::v1::ConfigResponse;
using gw::testing::TestWorker;

constexpr char kAdminToken[] = "admin-token-0123456789abcdef";
constexpr char kWorkerToken[] = "worker-token-0123456789abcdef";
constexpr absl::Duration kWait = absl::Seconds(10);
// How long "nothing arrives" is watched for: several debounce windows plus a network trip.
constexpr absl::Duration kQuiet = absl::Milliseconds(300);

std::shared_ptr<const Snapshot> MakeSnapshot(int64_t version, int keys = 1) {
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->set_version(version);
  snapshot->set_required_feature_level(1);
  auto* team = snapshot->mutable_config()->add_teams();
  team->set_name("team-a");
  std::mt19937_64 random(static_cast<uint64_t>(version));
  for (int i = 0; i < keys; ++i) {
    auto* key = snapshot->add_keys();
    key->set_id(absl::StrFormat("key-%06d", i));
    std::string digest(32, '\0');
    for (char& c : digest) c = static_cast<char>(random());
    key->set_sha256(digest);
    key->set_team("team-a");
    key->set_prefix(absl::StrFormat("gw-%09d", i));
  }
  return snapshot;
}

// Polls `condition` until it holds or `timeout` passes.
template <typename Condition>
bool Eventually(Condition condition, absl::Duration timeout = kWait) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return true;
}

std::optional<WorkerStatus> FindWorker(const DiscoveryService& service, const std::string& id) {
  for (const WorkerStatus& status : service.Workers()) {
    if (status.worker_id() == id) return status;
  }
  return std::nullopt;
}

class DiscoveryServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(DiscoveryServerOptions{}); }

  void StartServer(std::optional<DiscoveryServerOptions> options,
                   const grpc::ChannelArguments& client_args = {}) {
    service_ = std::make_unique<DiscoveryService>(auth_, absl::Milliseconds(30));
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    if (options.has_value()) ApplyDiscoveryServerOptions(builder, *options);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port, 0);
    grpc::ChannelArguments args = client_args;
    args.SetMaxReceiveMessageSize(-1);  // Large snapshots, as a worker must configure.
    channel_ = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                         grpc::InsecureChannelCredentials(), args);
  }

  void StopServer() {
    if (server_ == nullptr) return;
    service_->CloseStreams();
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    server_.reset();
    service_.reset();
  }

  void TearDown() override { StopServer(); }

  std::unique_ptr<TestWorker> Worker(const std::string& token = kWorkerToken) {
    return std::make_unique<TestWorker>(channel_, token);
  }

  // Publishes `snapshot` and waits until the service offers it to streams.
  void PublishAndWait(std::shared_ptr<const Snapshot> snapshot) {
    const int64_t version = snapshot->version();
    service_->Publish(std::move(snapshot));
    ASSERT_TRUE(Eventually([&] { return service_->published_version() == version; }));
  }

  TokenAuth auth_{kAdminToken, kWorkerToken};
  std::unique_ptr<DiscoveryService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(DiscoveryServiceTest, NewWorkerGetsCurrentSnapshotAcksItAndGetsTheNextVersion) {
  const std::shared_ptr<const Snapshot> v1 = MakeSnapshot(1, 3);
  PublishAndWait(v1);
  auto worker = Worker();
  ASSERT_TRUE(worker->Subscribe("w1", 0, "10.0.0.1:8080"));

  std::optional<ConfigResponse> first = worker->Next(kWait);
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(first->has_snapshot());
  EXPECT_EQ(first->version_info(), 1);
  EXPECT_FALSE(first->nonce().empty());
  Snapshot received;
  ASSERT_TRUE(received.ParseFromString(first->snapshot()));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(received, *v1))
      << received.DebugString();

  ASSERT_TRUE(worker->Ack(*first));
  ASSERT_TRUE(Eventually([&] {
    const auto status = FindWorker(*service_, "w1");
    return status.has_value() && status->applied_version() == 1;
  }));
  const WorkerStatus status = *FindWorker(*service_, "w1");
  EXPECT_TRUE(status.connected());
  EXPECT_EQ(status.address(), "10.0.0.1:8080");
  EXPECT_GT(status.connected_since().seconds(), 0);
  EXPECT_GE(status.last_seen().seconds(), status.connected_since().seconds());

  service_->Publish(MakeSnapshot(2));
  std::optional<ConfigResponse> second = worker->Next(kWait);
  ASSERT_TRUE(second.has_value());
  ASSERT_TRUE(second->has_snapshot());
  EXPECT_EQ(second->version_info(), 2);
  EXPECT_NE(second->nonce(), first->nonce());
  ASSERT_TRUE(received.ParseFromString(second->snapshot()));
  EXPECT_EQ(received.version(), 2);
}

TEST_F(DiscoveryServiceTest, WorkerSubscribedBeforeFirstVersionGetsItWhenPublished) {
  auto worker = Worker();
  ASSERT_TRUE(worker->Subscribe("w1", 0));
  EXPECT_FALSE(worker->Next(kQuiet).has_value());
  service_->Publish(MakeSnapshot(1));
  std::optional<ConfigResponse> response = worker->Next(kWait);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->version_info(), 1);
}

TEST_F(DiscoveryServiceTest, BurstOfPublishesIsSerializedFewTimesAndTheLastVersionArrives) {
  PublishAndWait(MakeSnapshot(1));
  auto worker = Worker();
  ASSERT_TRUE(worker->Subscribe("w1", 0));
  std::optional<ConfigResponse> first = worker->Next(kWait);
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(worker->Ack(*first));

  std::vector<std::shared_ptr<const Snapshot>> burst;
  for (int64_t version = 2; version <= 101; ++version) burst.push_back(MakeSnapshot(version));
  const int64_t serializations_before = service_->snapshot_serializations();
  for (auto& snapshot : burst) service_->Publish(std::move(snapshot));

  int responses = 0;
  int64_t last_version = 0;
  while (last_version != 101) {
    std::optional<ConfigResponse> response = worker->Next(kWait);
    ASSERT_TRUE(response.has_value()) << "last version seen: " << last_version;
    ++responses;
    last_version = response->version_info();
    ASSERT_TRUE(worker->Ack(*response));
  }
  const int64_t serializations = service_->snapshot_serializations() - serializations_before;
  std::printf("burst of 100 publishes: %lld serialisations, %d responses\n",
              static_cast<long long>(serializations), responses);
  EXPECT_GE(serializations, 1);
  EXPECT_LE(serializations, 5);
  EXPECT_LE(responses, serializations);
}

TEST_F(DiscoveryServiceTest, WorkerOnCurrentVersionGetsNothingUntilTheNextVersion) {
  PublishAndWait(MakeSnapshot(1));
  auto worker = Worker();
  ASSERT_TRUE(worker->Subscribe("w1", 1));
  EXPECT_FALSE(worker->Next(kQuiet).has_value());
  ASSERT_TRUE(Eventually([&] {
    const auto status = FindWorker(*service_, "w1");
    return status.has_value() && status->applied_version() == 1 && status->connected();
  }));

  service_->Publish(MakeSnapshot(2));
  std::optional<ConfigResponse> response = worker->Next(kWait);
  ASSERT_TRUE(response.has_value());
  EXPECT_TRUE(response->has_snapshot());
  EXPECT_EQ(response->version_info(), 2);
}

TEST_F(DiscoveryServiceTest, NackedVersionIsRecordedAndNotResentButTheNextVersionIs) {
  PublishAndWait(MakeSnapshot(1));
  auto worker = Worker();
  ASSERT_TRUE(worker->Subscribe("w1", 0));
  std::optional<ConfigResponse> v1 = worker->Next(kWait);
  ASSERT_TRUE(v1.has_value());
  ASSERT_TRUE(worker->Ack(*v1));

  service_->Publish(MakeSnapshot(2));
  std::optional<ConfigResponse> v2 = worker->Next(kWait);
  ASSERT_TRUE(v2.has_value());
  ASSERT_EQ(v2->version_info(), 2);
  ASSERT_TRUE(worker->Nack(*v2, 1, "route 'chat' names unknown model 'gpt-9'"));

  ASSERT_TRUE(Eventually([&] {
    const auto status = FindWorker(*service_, "w1");
    return status.has_value() && status->last_nack_version() == 2;
  }));
  const WorkerStatus status = *FindWorker(*service_, "w1");
  EXPECT_EQ(status.applied_version(), 1);
  EXPECT_EQ(status.last_nack_message(), "route 'chat' names unknown model 'gpt-9'");

  EXPECT_FALSE(worker->Next(kQuiet).has_value()) << "the NACKed version was sent again";
  // Any later write to the stream (here a budget state) must not drag the NACKed version along.
  BudgetState budget;
  budget.set_sequence(1);
  service_->PublishBudgetState(budget);
  std::optional<ConfigResponse> after = worker->Next(kWait);
  ASSERT_TRUE(after.has_value());
  EXPECT_TRUE(after->has_budget_state());

  service_->Publish(MakeSnapshot(3));
  std::optional<ConfigResponse> v3 = worker->Next(kWait);
  ASSERT_TRUE(v3.has_value());
  EXPECT_TRUE(v3->has_snapshot());
  EXPECT_EQ(v3->version_info(), 3);
  ASSERT_TRUE(worker->Ack(*v3));
  ASSERT_TRUE(Eventually([&] { return FindWorker(*service_, "w1")->applied_version() == 3; }));
  // The last NACK stays visible after a later ACK.
  EXPECT_EQ(FindWorker(*service_, "w1")->last_nack_version(), 2);
}

TEST_F(DiscoveryServiceTest, OnlyTheWorkerTokenOpensAStream) {
  PublishAndWait(MakeSnapshot(1));
  for (const std::string& token :
       {std::string("not-the-token-0123456789"), std::string(kAdminToken), std::string()}) {
    auto worker = Worker(token);
    worker->Subscribe("w1", 0);
    std::optional<grpc::Status> status = worker->WaitForEnd(kWait);
    ASSERT_TRUE(status.has_value()) << "token '" << token << "'";
    EXPECT_EQ(status->error_code(), grpc::StatusCode::UNAUTHENTICATED) << "token '" << token << "'";
    EXPECT_FALSE(worker->Next(absl::ZeroDuration()).has_value());
  }
  EXPECT_TRUE(service_->Workers().empty());
}

TEST_F(DiscoveryServiceTest, SubscribeWithoutNodeIdIsRefused) {
  auto worker = Worker();
  worker->Subscribe("", 0);
  std::optional<grpc::Status> status = worker->WaitForEnd(kWait);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(DiscoveryServiceTest, BudgetStateReachesOpenStreamsAndFollowsANewStreamsFirstSnapshot) {
  PublishAndWait(MakeSnapshot(1));
  auto first = Worker();
  ASSERT_TRUE(first->Subscribe("w1", 0));
  std::optional<ConfigResponse> snapshot = first->Next(kWait);
  ASSERT_TRUE(snapshot.has_value());
  ASSERT_TRUE(first->Ack(*snapshot));

  BudgetState budget;
  budget.set_sequence(7);
  auto* team = budget.add_teams();
  team->set_team("team-a");
  team->set_period("2026-11");
  team->set_spend_pico_usd(1'234'567);
  team->set_budget_micro_usd(5'000'000);
  service_->PublishBudgetState(budget);

  std::optional<ConfigResponse> pushed = first->Next(kWait);
  ASSERT_TRUE(pushed.has_value());
  ASSERT_TRUE(pushed->has_budget_state());
  EXPECT_EQ(pushed->version_info(), 1);
  EXPECT_FALSE(pushed->nonce().empty());
  BudgetState received;
  ASSERT_TRUE(received.ParseFromString(pushed->budget_state()));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(received, budget));

  // A new stream: its snapshot first, then the newest budget state.
  auto second = Worker();
  ASSERT_TRUE(second->Subscribe("w2", 0));
  std::optional<ConfigResponse> second_first = second->Next(kWait);
  ASSERT_TRUE(second_first.has_value());
  EXPECT_TRUE(second_first->has_snapshot());
  std::optional<ConfigResponse> second_next = second->Next(kWait);
  ASSERT_TRUE(second_next.has_value());
  ASSERT_TRUE(second_next->has_budget_state());
  ASSERT_TRUE(received.ParseFromString(second_next->budget_state()));
  EXPECT_EQ(received.sequence(), 7);

  // A worker already on the current version needs no snapshot and gets the state at once.
  auto current = Worker();
  ASSERT_TRUE(current->Subscribe("w3", 1));
  std::optional<ConfigResponse> current_first = current->Next(kWait);
  ASSERT_TRUE(current_first.has_value());
  EXPECT_TRUE(current_first->has_budget_state());

  // A state older than the newest is dropped; the next newer one goes out.
  budget.set_sequence(5);
  service_->PublishBudgetState(budget);
  budget.set_sequence(8);
  service_->PublishBudgetState(budget);
  std::optional<ConfigResponse> newest = first->Next(kWait);
  ASSERT_TRUE(newest.has_value());
  ASSERT_TRUE(received.ParseFromString(newest->budget_state()));
  EXPECT_EQ(received.sequence(), 8);
}

TEST_F(DiscoveryServiceTest, DisconnectedWorkerStaysListedAsDisconnected) {
  PublishAndWait(MakeSnapshot(1));
  auto worker = Worker();
  ASSERT_TRUE(worker->Subscribe("w1", 0, "10.0.0.1:8080"));
  std::optional<ConfigResponse> v1 = worker->Next(kWait);
  ASSERT_TRUE(v1.has_value());
  ASSERT_TRUE(worker->Ack(*v1));
  ASSERT_TRUE(Eventually([&] { return FindWorker(*service_, "w1")->applied_version() == 1; }));
  const int64_t before_disconnect = absl::ToUnixSeconds(absl::Now());

  worker->Cancel();
  ASSERT_TRUE(Eventually([&] { return !FindWorker(*service_, "w1")->connected(); }));
  ASSERT_TRUE(Eventually([&] { return service_->open_streams() == 0; }));
  const WorkerStatus status = *FindWorker(*service_, "w1");
  EXPECT_EQ(status.address(), "10.0.0.1:8080");
  EXPECT_EQ(status.applied_version(), 1);
  EXPECT_GE(status.last_seen().seconds(), before_disconnect);
  // last_seen is frozen once disconnected.
  const auto later = FindWorker(*service_, "w1");
  EXPECT_EQ(later->last_seen().seconds(), status.last_seen().seconds());
  EXPECT_EQ(later->last_seen().nanos(), status.last_seen().nanos());
}

TEST_F(DiscoveryServiceTest, TwoStreamsOfOneWorkerAreBothServedAndStatusShowsTheLatest) {
  PublishAndWait(MakeSnapshot(1));
  auto old_stream = Worker();
  ASSERT_TRUE(old_stream->Subscribe("w1", 0, "10.0.0.1:8080"));
  std::optional<ConfigResponse> old_v1 = old_stream->Next(kWait);
  ASSERT_TRUE(old_v1.has_value());
  ASSERT_TRUE(old_stream->Ack(*old_v1));
  ASSERT_TRUE(Eventually([&] { return FindWorker(*service_, "w1")->applied_version() == 1; }));

  auto new_stream = Worker();
  ASSERT_TRUE(new_stream->Subscribe("w1", 0, "10.0.0.2:8080"));
  std::optional<ConfigResponse> new_v1 = new_stream->Next(kWait);
  ASSERT_TRUE(new_v1.has_value());
  EXPECT_EQ(new_v1->version_info(), 1);
  ASSERT_TRUE(
      Eventually([&] { return FindWorker(*service_, "w1")->address() == "10.0.0.2:8080"; }));
  EXPECT_EQ(FindWorker(*service_, "w1")->applied_version(), 0);
  EXPECT_EQ(service_->Workers().size(), 1u);

  service_->Publish(MakeSnapshot(2));
  std::optional<ConfigResponse> old_v2 = old_stream->Next(kWait);
  std::optional<ConfigResponse> new_v2 = new_stream->Next(kWait);
  ASSERT_TRUE(old_v2.has_value());
  ASSERT_TRUE(new_v2.has_value());
  EXPECT_EQ(old_v2->version_info(), 2);
  EXPECT_EQ(new_v2->version_info(), 2);

  // The older stream ending does not make the worker look disconnected.
  old_stream->Cancel();
  ASSERT_TRUE(Eventually([&] { return service_->open_streams() == 1; }));
  const WorkerStatus status = *FindWorker(*service_, "w1");
  EXPECT_TRUE(status.connected());
  EXPECT_EQ(status.address(), "10.0.0.2:8080");
}

TEST_F(DiscoveryServiceTest, CloseStreamsEndsStreamsWithUnavailableAndRefusesNewOnes) {
  PublishAndWait(MakeSnapshot(1));
  auto worker = Worker();
  ASSERT_TRUE(worker->Subscribe("w1", 0));
  ASSERT_TRUE(worker->Next(kWait).has_value());
  service_->CloseStreams();
  std::optional<grpc::Status> status = worker->WaitForEnd(kWait);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->error_code(), grpc::StatusCode::UNAVAILABLE);

  auto late = Worker();
  late->Subscribe("w2", 0);
  status = late->WaitForEnd(kWait);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->error_code(), grpc::StatusCode::UNAVAILABLE);
  ASSERT_TRUE(Eventually([&] { return !FindWorker(*service_, "w1")->connected(); }));
}

TEST_F(DiscoveryServiceTest, SnapshotOf100000KeysIsDelivered) {
  const std::shared_ptr<const Snapshot> big = MakeSnapshot(1, 100'000);
  auto worker = Worker();
  ASSERT_TRUE(worker->Subscribe("w1", 0));
  ASSERT_TRUE(Eventually([&] { return service_->open_streams() == 1; }));

  // The service does this once per version, on its publisher thread.
  const absl::Time serialize_start = absl::Now();
  const std::string serialized = big->SerializeAsString();
  const absl::Duration serialize_time = absl::Now() - serialize_start;

  const absl::Time start = absl::Now();
  service_->Publish(big);
  std::optional<ConfigResponse> response = worker->Next(absl::Seconds(60));
  ASSERT_TRUE(response.has_value());
  const absl::Duration publish_to_received = worker->last_received() - start;
  ASSERT_TRUE(response->has_snapshot());
  Snapshot received;
  ASSERT_TRUE(received.ParseFromString(response->snapshot()));
  EXPECT_EQ(received.keys_size(), 100'000);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(received, *big));

  // What sharing the bytes saves: the copy each stream would otherwise make per version.
  const absl::Time copy_start = absl::Now();
  std::string copy = response->snapshot();
  const absl::Duration copy_time = absl::Now() - copy_start;
  std::printf(
      "100000-key snapshot: %zu bytes; serialise %.1f ms; publish -> received by worker %.1f ms "
      "(30 ms debounce included); one copy of the bytes %.2f ms\n",
      response->snapshot().size(), absl::ToDoubleMilliseconds(serialize_time),
      absl::ToDoubleMilliseconds(publish_to_received), absl::ToDoubleMilliseconds(copy_time));
  RecordProperty("snapshot_bytes", static_cast<int>(response->snapshot().size()));
  RecordProperty("publish_to_received_ms",
                 static_cast<int>(absl::ToInt64Milliseconds(publish_to_received)));
  EXPECT_EQ(copy.size(), response->snapshot().size());
  EXPECT_EQ(response->snapshot(), serialized);
  EXPECT_LT(publish_to_received, absl::Seconds(5));
}

TEST_F(DiscoveryServiceTest, SlowWorkerSkipsIntermediateVersionsAndGetsTheNewest) {
  auto slow = std::make_unique<TestWorker>(channel_, kWorkerToken, /*read=*/false);
  ASSERT_TRUE(slow->Subscribe("slow", 0));
  ASSERT_TRUE(Eventually([&] { return service_->open_streams() == 1; }));
  // Each version is far larger than HTTP/2 flow-control windows, so the first write stays
  // outstanding while the worker does not read, and later versions pile up behind it.
  for (int64_t version = 1; version <= 4; ++version) PublishAndWait(MakeSnapshot(version, 100'000));
  BudgetState budget;
  for (int64_t sequence = 1; sequence <= 3; ++sequence) {
    budget.set_sequence(sequence);
    service_->PublishBudgetState(budget);
  }
  slow->StartReading();

  std::vector<int64_t> snapshot_versions;
  std::vector<int64_t> budget_sequences;
  while (budget_sequences.empty() || budget_sequences.back() != 3) {
    std::optional<ConfigResponse> response = slow->Next(kWait);
    ASSERT_TRUE(response.has_value());
    if (response->has_snapshot()) {
      snapshot_versions.push_back(response->version_info());
    } else {
      ASSERT_TRUE(budget.ParseFromString(response->budget_state()));
      budget_sequences.push_back(budget.sequence());
    }
  }
  std::printf("slow worker received snapshot versions:");
  for (int64_t version : snapshot_versions) std::printf(" %lld", static_cast<long long>(version));
  std::printf("\n");
  EXPECT_EQ(snapshot_versions.back(), 4);
  EXPECT_LT(snapshot_versions.size(), 4u) << "every intermediate version was sent";
  EXPECT_EQ(budget_sequences, std::vector<int64_t>{3});
}

TEST_F(DiscoveryServiceTest, KeyRevocationReachesManyWorkersWellUnderASecond) {
  PublishAndWait(MakeSnapshot(1, 1000));
  std::vector<std::unique_ptr<TestWorker>> workers;
  for (int i = 0; i < 20; ++i) {
    workers.push_back(Worker());
    ASSERT_TRUE(workers.back()->Subscribe(absl::StrCat("w", i), 0));
    std::optional<ConfigResponse> v1 = workers.back()->Next(kWait);
    ASSERT_TRUE(v1.has_value());
    ASSERT_TRUE(workers.back()->Ack(*v1));
  }
  const absl::Time start = absl::Now();
  service_->Publish(MakeSnapshot(2, 999));  // One key fewer: a revocation.
  absl::Duration slowest;
  for (auto& worker : workers) {
    std::optional<ConfigResponse> v2 = worker->Next(kWait);
    ASSERT_TRUE(v2.has_value());
    EXPECT_EQ(v2->version_info(), 2);
    slowest = std::max(slowest, worker->last_received() - start);
  }
  std::printf("revocation reached 20 workers in %.1f ms\n", absl::ToDoubleMilliseconds(slowest));
  EXPECT_LT(slowest, absl::Milliseconds(500));
}

// Keepalive: a worker pinging an idle stream every 100 ms. Without the discovery server options
// gRPC answers such pings with GOAWAY too_many_pings and the stream dies; with them it lives.
grpc::ChannelArguments AggressiveKeepalive() {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 100);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  return args;
}

TEST_F(DiscoveryServiceTest, ServerOptionsPermitWorkerKeepalivePingsOnIdleStreams) {
  StopServer();
  DiscoveryServerOptions options;
  options.min_worker_ping_interval = absl::Milliseconds(50);
  StartServer(options, AggressiveKeepalive());
  PublishAndWait(MakeSnapshot(1));
  auto worker = Worker();
  ASSERT_TRUE(worker->Subscribe("w1", 0));
  std::optional<ConfigResponse> v1 = worker->Next(kWait);
  ASSERT_TRUE(v1.has_value());
  ASSERT_TRUE(worker->Ack(*v1));
  // Ten keepalive intervals of an idle stream.
  EXPECT_FALSE(worker->WaitForEnd(absl::Seconds(1)).has_value()) << "stream ended";
  service_->Publish(MakeSnapshot(2));
  std::optional<ConfigResponse> v2 = worker->Next(kWait);
  ASSERT_TRUE(v2.has_value());
  EXPECT_EQ(v2->version_info(), 2);
}

TEST_F(DiscoveryServiceTest, WithoutServerOptionsKeepalivePingsKillTheStream) {
  StopServer();
  StartServer(std::nullopt, AggressiveKeepalive());
  PublishAndWait(MakeSnapshot(1));
  auto worker = Worker();
  ASSERT_TRUE(worker->Subscribe("w1", 0));
  std::optional<ConfigResponse> v1 = worker->Next(kWait);
  ASSERT_TRUE(v1.has_value());
  ASSERT_TRUE(worker->Ack(*v1));
  // gRPC's default policy allows two bad pings, then sends GOAWAY (seconds, with client backoff).
  std::optional<grpc::Status> status = worker->WaitForEnd(absl::Seconds(60));
  ASSERT_TRUE(status.has_value()) << "the control test for the keepalive options did not fail";
  EXPECT_EQ(status->error_code(), grpc::StatusCode::UNAVAILABLE) << status->error_message();
}

gateway::config::v1::RevokedKey Revoked(const std::string& id, int64_t version) {
  gateway::config::v1::RevokedKey key;
  key.set_key_id(id);
  key.set_sha256(std::string(32, static_cast<char>('a' + version % 26)));
  key.set_version(version);
  return key;
}

gateway::config::v1::KeyRevocations ParseRevocations(const ConfigResponse& response) {
  gateway::config::v1::KeyRevocations revocations;
  EXPECT_TRUE(revocations.ParseFromString(response.key_revocations()));
  return revocations;
}

TEST_F(DiscoveryServiceTest, RevocationsReachOpenStreamsAheadOfTheSnapshotOfTheirVersion) {
  PublishAndWait(MakeSnapshot(1));
  auto worker = Worker();
  ASSERT_TRUE(worker->Subscribe("w1", 0));
  std::optional<ConfigResponse> v1 = worker->Next(kWait);
  ASSERT_TRUE(v1.has_value());
  ASSERT_TRUE(worker->Ack(*v1));
  ASSERT_TRUE(Eventually([&] { return FindWorker(*service_, "w1")->applied_version() == 1; }));

  // As the control plane does: the revocation right after the commit, then the version.
  const int64_t serializations_before = service_->snapshot_serializations();
  service_->PublishRevocations({Revoked("key_2", 2)});
  service_->Publish(MakeSnapshot(2, 1000));
  std::optional<ConfigResponse> first = worker->Next(kWait);
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(first->has_key_revocations()) << "the snapshot overtook the revocation";
  const gateway::config::v1::KeyRevocations revocations = ParseRevocations(*first);
  ASSERT_EQ(revocations.keys_size(), 1);
  EXPECT_EQ(revocations.keys(0).key_id(), "key_2");
  EXPECT_EQ(revocations.keys(0).version(), 2);
  EXPECT_EQ(revocations.keys(0).sha256(), Revoked("key_2", 2).sha256());
  EXPECT_GT(revocations.sequence(), 0);
  std::optional<ConfigResponse> second = worker->NextSnapshot(kWait);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->version_info(), 2);
  ASSERT_TRUE(worker->Ack(*second));
  // The revocation itself cost no snapshot serialisation.
  EXPECT_EQ(service_->snapshot_serializations() - serializations_before, 1);

  // State of the world: the next list carries both revocations.
  service_->PublishRevocations({Revoked("key_3", 3)});
  std::optional<ConfigResponse> third = worker->Next(kWait);
  ASSERT_TRUE(third.has_value());
  ASSERT_TRUE(third->has_key_revocations());
  const gateway::config::v1::KeyRevocations both = ParseRevocations(*third);
  ASSERT_EQ(both.keys_size(), 2);
  EXPECT_EQ(both.keys(0).key_id(), "key_2");
  EXPECT_EQ(both.keys(1).key_id(), "key_3");
  EXPECT_GT(both.sequence(), revocations.sequence());
}

TEST_F(DiscoveryServiceTest, RevocationsGoFirstOnANewStream) {
  service_->PublishRevocations({Revoked("key_1", 2)});
  PublishAndWait(MakeSnapshot(2));
  auto worker = Worker();
  ASSERT_TRUE(worker->Subscribe("w1", 0));
  std::optional<ConfigResponse> first = worker->Next(kWait);
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(first->has_key_revocations());
  EXPECT_EQ(ParseRevocations(*first).keys(0).key_id(), "key_1");
  std::optional<ConfigResponse> snapshot = worker->Next(kWait);
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_TRUE(snapshot->has_snapshot());
  EXPECT_EQ(snapshot->version_info(), 2);
}

TEST(RevocationOverlay, KeepsTheNewestEntriesWithinItsCountAndAgeBounds) {
  RevocationOverlay overlay(/*max_entries=*/3, /*max_age=*/absl::Minutes(10));
  const absl::Time start = absl::FromUnixSeconds(1'800'000'000);
  overlay.Add({Revoked("k1", 1), Revoked("k2", 2)}, start);
  const int64_t first_sequence = overlay.sequence();
  EXPECT_GE(first_sequence, absl::ToUnixMicros(start));
  overlay.Add({Revoked("k3", 3), Revoked("k4", 4)}, start + absl::Minutes(1));
  gateway::config::v1::KeyRevocations current = overlay.Current();
  EXPECT_GT(current.sequence(), first_sequence);
  ASSERT_EQ(current.keys_size(), 3);
  EXPECT_EQ(current.keys(0).key_id(), "k2");
  EXPECT_EQ(current.keys(2).key_id(), "k4");
  // Eleven minutes on, only the entry just added is young enough.
  overlay.Add({Revoked("k5", 5)}, start + absl::Minutes(11) + absl::Seconds(1));
  current = overlay.Current();
  ASSERT_EQ(current.keys_size(), 1);
  EXPECT_EQ(current.keys(0).key_id(), "k5");
}

}  // namespace
}  // namespace gw::cp
