// Usage accounting wired into the whole control plane: one port serves UsageReporting, the
// config stream carries the resulting budget state to workers, and the Admin API reports usage
// and spend from the same database.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "absl/time/clock.h"
#include "control_plane/control_plane.h"
#include "gateway/admin/v1/admin.grpc.pb.h"
#include "tests/control_plane/discovery/test_worker.h"
#include "tests/control_plane/usage/usage_test_env.h"

namespace gw::testing {
namespace {

namespace admin = gateway::admin::v1;
namespace cfg = gateway::config::v1;

class ControlPlaneUsageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cp::ControlPlaneOptions options;
    options.listen_address = "127.0.0.1:0";
    options.db_path = dir_.File("gateway.db");
    options.admin_token = kAdminToken;
    options.worker_token = kWorkerToken;
    auto started = cp::ControlPlane::Start(options);
    ASSERT_TRUE(started.ok()) << started.status();
    cp_ = *std::move(started);
    channel_ = grpc::CreateChannel(cp_->address(), grpc::InsecureChannelCredentials());
    admin_ = admin::Admin::NewStub(channel_);
  }

  template <typename Request, typename Response>
  grpc::Status CallAdmin(grpc::Status (admin::Admin::Stub::*method)(grpc::ClientContext*,
                                                                    const Request&, Response*),
                         const Request& request, Response* response) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", std::string("Bearer ") + kAdminToken);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return (admin_.get()->*method)(&context, request, response);
  }

  TempDir dir_;
  std::unique_ptr<cp::ControlPlane> cp_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<admin::Admin::Stub> admin_;
};

TEST_F(ControlPlaneUsageTest, IngestedCostReachesWorkersAndReports) {
  admin::CreateTeamRequest create;
  create.mutable_team()->set_name("search");
  create.mutable_team()->mutable_monthly_budget_micro_usd()->set_value(10'000'000);
  cfg::Team team;
  grpc::Status created = CallAdmin(&admin::Admin::Stub::CreateTeam, create, &team);
  ASSERT_TRUE(created.ok()) << created.error_message();

  TestWorker worker(channel_, kWorkerToken);
  ASSERT_TRUE(worker.Subscribe("worker-1", 0));
  std::optional<TestWorker::ConfigResponse> snapshot = worker.NextSnapshot(absl::Seconds(10));
  ASSERT_TRUE(snapshot.has_value());
  ASSERT_TRUE(worker.Ack(*snapshot));

  RecordSpec spec;
  spec.ts_micros = absl::ToUnixMicros(absl::Now());
  spec.cost_pico_usd = 2'500'000'000'000;  // $2.50
  TestReporter reporter(channel_, kWorkerToken);
  std::optional<UsageAck> ack =
      reporter.Send(MakeBatch(1, {MakeRecord("e2e-1", spec), MakeRecord("e2e-2", spec)}));
  ASSERT_TRUE(ack.has_value()) << reporter.Finish().error_message();
  EXPECT_EQ(ack->accepted(), 2);
  const absl::Time acked = absl::Now();

  // The worker's config stream carries the new spend within a second.
  std::optional<cfg::BudgetState> seen;
  while (!seen.has_value() && absl::Now() < acked + absl::Seconds(1)) {
    std::optional<TestWorker::ConfigResponse> response =
        worker.Next(acked + absl::Seconds(1) - absl::Now());
    if (!response.has_value()) break;
    if (!response->has_budget_state()) continue;
    cfg::BudgetState state;
    ASSERT_TRUE(state.ParseFromString(response->budget_state()));
    if (state.teams_size() == 1 && state.teams(0).spend_pico_usd() == 5'000'000'000'000) {
      seen = state;
    }
  }
  ASSERT_TRUE(seen.has_value()) << "no budget state with the new spend within 1 s of the ack";
  EXPECT_EQ(seen->teams(0).team(), "search");
  EXPECT_EQ(seen->teams(0).budget_micro_usd(), 10'000'000);
  EXPECT_EQ(seen->teams(0).period(), cp::PeriodName(spec.ts_micros));

  admin::GetSpendRequest spend_request;
  spend_request.add_group_by(admin::SPEND_GROUPING_TEAM);
  spend_request.add_group_by(admin::SPEND_GROUPING_MODEL);
  admin::GetSpendResponse spend;
  grpc::Status spent = CallAdmin(&admin::Admin::Stub::GetSpend, spend_request, &spend);
  ASSERT_TRUE(spent.ok()) << spent.error_message();
  ASSERT_EQ(spend.rows_size(), 1);
  EXPECT_EQ(spend.rows(0).team(), "search");
  EXPECT_EQ(spend.rows(0).model(), "gpt-4o");
  EXPECT_EQ(spend.rows(0).requests(), 2);
  EXPECT_EQ(spend.rows(0).cost_pico_usd(), 5'000'000'000'000);

  admin::ListUsageRequest list_request;
  list_request.set_limit(1);
  admin::ListUsageResponse usage;
  grpc::Status listed = CallAdmin(&admin::Admin::Stub::ListUsage, list_request, &usage);
  ASSERT_TRUE(listed.ok()) << listed.error_message();
  ASSERT_EQ(usage.records_size(), 1);
  EXPECT_EQ(usage.records(0).team(), "search");
}

TEST_F(ControlPlaneUsageTest, ShutdownEndsOpenUsageStreamsPromptly) {
  TestReporter reporter(channel_, kWorkerToken);
  ASSERT_TRUE(reporter.Send(MakeBatch(1, {MakeRecord("before-shutdown")})).has_value());
  const absl::Time start = absl::Now();
  cp_->Shutdown(absl::Seconds(20));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(reporter.Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(
      CountFromSecondConnection(dir_.File("gateway.db"), "SELECT COUNT(*) FROM usage_records"), 1);
}

}  // namespace
}  // namespace gw::testing
