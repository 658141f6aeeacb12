// The chat and embeddings chains as the router builds them, run in process on a compiled
// snapshot: what the stages read from the body and refuse, and the usage facts the upstream
// handler leaves in the context after a call to gw-fake-provider.
#include <cstdlib>
#include <memory>
#include <memory_resource>
#include <optional>
#include <string>
#include <thread>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "boost/asio/co_spawn.hpp"
#include "boost/asio/detached.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/json.hpp"
#include "data_plane/config/snapshot.h"
#include "data_plane/endpoints/worker_routes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_snapshots.h"
#include "tests/fakes/testing/fake_provider_process.h"

namespace gw::dp {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using ::testing::HasSubstr;

constexpr char kProviderEnv[] = "GW_SERVING_PIPELINE_TEST_KEY";

class ServingPipelineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto fake = gw::testing::FakeProviderProcess::Start(GW_BIN_DIR "/gw-fake-provider", {});
    ASSERT_TRUE(fake.ok()) << fake.status();
    fake_ = fake->release();
    setenv(kProviderEnv, "sk-test", 1);
  }
  static void TearDownTestSuite() {
    delete fake_;
    fake_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(fake_, nullptr);
    gateway::config::v1::Snapshot proto = gw::testing::MakeSnapshot(7);
    auto* provider = proto.mutable_config()->mutable_providers(0);
    provider->set_type(gateway::config::v1::PROVIDER_TYPE_OPENAI_COMPATIBLE);
    provider->set_base_url(fake_->base_url());
    provider->set_credential_ref(absl::StrCat("env:", kProviderEnv));
    proto.mutable_config()->mutable_models(2)->set_upstream_model("gpt-4o-2024-08-06");
    proto.mutable_config()->mutable_teams(0)->mutable_max_tokens_per_request()->set_value(100);
    gw::testing::AddKey(proto, "key_a", "gwk-alpha", "team-a");
    gw::testing::AddKey(proto, "key_narrow", "gwk-narrow", "team-a", {"gpt-4o-mini"});
    auto snapshot = Snapshot::Compile(std::move(proto));
    ASSERT_TRUE(snapshot.ok()) << snapshot.status();
    snapshot_ = *std::move(snapshot);
    router_ = BuildWorkerRouter({});
  }

  // Runs `body` through the POST `path` pipeline; the context holds the outcome.
  void Run(const std::string& path, const std::string& body, const std::string& key = "gwk-alpha") {
    request_.emplace(std::piecewise_construct, std::make_tuple(),
                     std::make_tuple(RequestFieldAllocator(&arena_)));
    request_->method(boost::beast::http::verb::post);
    request_->target(path);
    request_->set("authorization", absl::StrCat("Bearer ", key));
    request_->body() = body;
    request_->prepare_payload();
    ctx_.Reset();
    ctx_.request = &*request_;
    ctx_.request_id = "req-pipeline-1";
    ctx_.snapshot = snapshot_;
    ctx_.received_at = absl::Now();
    // The response stays in ctx_ for the test to read; it must outlive the pipeline's coroutine.
    const auto respond = []() -> asio::awaitable<bool> { co_return true; };
    asio::io_context io;
    // Stopped when the pipeline is done rather than when the loop runs out of work: the
    // thread's upstream client and its pooled connection outlive the call.
    asio::co_spawn(io, router_->Find(boost::beast::http::verb::post, path).Run(ctx_, respond),
                   [&io](const std::exception_ptr&, bool) { io.stop(); });
    // On its own thread: the handler's per-thread upstream client goes away with the thread,
    // while the io_context its sockets belong to still exists.
    std::thread([&io] { io.run(); }).join();
    // As the usage stage does once the response is written (this router has no usage stage).
    ctx_.usage.ReadDeferredTokens(ctx_.response.body);
  }

  std::string ErrorCode() const {
    return std::string(json::parse(ctx_.response.body).at("error").at("code").as_string());
  }

  static gw::testing::FakeProviderProcess* fake_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::unique_ptr<Router> router_;
  std::pmr::monotonic_buffer_resource arena_;
  std::optional<HttpRequest> request_;
  RequestContext ctx_;
};

gw::testing::FakeProviderProcess* ServingPipelineTest::fake_ = nullptr;

std::string Chat(const std::string& model, const std::string& extra = "") {
  return absl::StrCat(R"({"model":")", model,
                      R"(","messages":[{"role":"user","content":"one two three"}])", extra, "}");
}

TEST_F(ServingPipelineTest, ParseStageReadsOnlyWhatTheGatewayNeeds) {
  Run("/v1/chat/completions",
      Chat("gpt-4o", R"(,"max_tokens":10,"max_completion_tokens":20,"temperature":0.7)"));
  EXPECT_EQ(ctx_.response.status, 200u) << ctx_.response.body;
  EXPECT_TRUE(ctx_.facts.parsed);
  EXPECT_EQ(ctx_.facts.model, "gpt-4o");
  EXPECT_EQ(ctx_.facts.max_tokens, 20);
  EXPECT_FALSE(ctx_.facts.stream);
}

TEST_F(ServingPipelineTest, ParseStageRefusesFieldsOfTheWrongType) {
  for (const std::string extra : {R"(,"max_tokens":1.5)", R"(,"max_tokens":-1)",
                                  R"(,"max_tokens":"10")", R"(,"stream":"yes")"}) {
    Run("/v1/chat/completions", Chat("gpt-4o", extra));
    EXPECT_EQ(ctx_.response.status, 400u) << extra;
    EXPECT_EQ(ErrorCode(), "invalid_type") << extra;
  }
  Run("/v1/chat/completions", R"({"model":"gpt-4o"})");
  EXPECT_EQ(ctx_.response.status, 400u);
  Run("/v1/chat/completions", R"({"messages":[]})");
  EXPECT_EQ(ctx_.response.status, 400u);
  EXPECT_EQ(ErrorCode(), "missing_model");
  Run("/v1/chat/completions", R"({"model":"gpt-4o","messages":[]} trailing)");
  EXPECT_EQ(ErrorCode(), "invalid_json");
}

TEST_F(ServingPipelineTest, KeyListNarrowsTheTeamsModels) {
  Run("/v1/chat/completions", Chat("gpt-4o"), "gwk-narrow");
  EXPECT_EQ(ctx_.response.status, 403u) << ctx_.response.body;
  EXPECT_THAT(ctx_.response.body, HasSubstr("permission_error"));
  Run("/v1/chat/completions", Chat("gpt-4o-mini"), "gwk-narrow");
  EXPECT_EQ(ctx_.response.status, 200u) << ctx_.response.body;
}

TEST_F(ServingPipelineTest, ChecksRunInTheContractsOrder) {
  // Unknown model and a max_tokens over the cap: the model check answers first.
  Run("/v1/chat/completions", Chat("no-such-model", R"(,"max_tokens":1000)"));
  EXPECT_EQ(ctx_.response.status, 404u);
  EXPECT_EQ(ErrorCode(), "model_not_found");
  // Not allowed and over the cap: permission answers first.
  Run("/v1/chat/completions", Chat("gpt-4o", R"(,"max_tokens":1000)"), "gwk-narrow");
  EXPECT_EQ(ctx_.response.status, 403u);
  Run("/v1/chat/completions", Chat("gpt-4o", R"(,"max_tokens":1000)"));
  EXPECT_EQ(ctx_.response.status, 400u);
  EXPECT_EQ(ErrorCode(), "max_tokens_exceeded");
}

TEST_F(ServingPipelineTest, UsageFactsDescribeTheUpstreamCall) {
  Run("/v1/chat/completions", Chat("gpt-4o"));
  ASSERT_EQ(ctx_.response.status, 200u) << ctx_.response.body;
  const UsageFacts& usage = ctx_.usage;
  EXPECT_TRUE(usage.attempted);
  EXPECT_EQ(usage.provider, "openai");
  EXPECT_EQ(usage.upstream_model, "gpt-4o-2024-08-06");
  EXPECT_TRUE(usage.tokens.reported);
  EXPECT_EQ(usage.tokens.prompt_tokens, 3);
  EXPECT_EQ(usage.tokens.completion_tokens, 3);
  EXPECT_EQ(usage.status, 200u);
  EXPECT_FALSE(usage.failed);
  EXPECT_GT(usage.time_to_first_byte, absl::ZeroDuration());
  EXPECT_GE(usage.latency, usage.time_to_first_byte);
}

TEST_F(ServingPipelineTest, UsageFactsOfAnEmbeddingsCall) {
  Run("/v1/embeddings", R"({"model":"text-embedding-3-small","input":"a b c d"})");
  ASSERT_EQ(ctx_.response.status, 200u) << ctx_.response.body;
  EXPECT_EQ(ctx_.usage.upstream_model, "text-embedding-3-small");
  EXPECT_EQ(ctx_.usage.tokens.prompt_tokens, 4);
}

TEST_F(ServingPipelineTest, UsageFactsOfAProviderRefusal) {
  Run("/v1/chat/completions", Chat("gpt-4o", R"(,"x_fake":{"status":500})"));
  EXPECT_EQ(ctx_.response.status, 502u);
  EXPECT_EQ(ctx_.usage.status, 502u);
  EXPECT_TRUE(ctx_.usage.failed);
  EXPECT_FALSE(ctx_.usage.tokens.reported);
  EXPECT_GT(ctx_.usage.latency, absl::ZeroDuration());
}

}  // namespace
}  // namespace gw::dp
