// The usage stage: one record per /v1/* request with the right attribution, tokens, status,
// error code and cost to the pico-USD; estimated output for streams without provider usage; and
// the /debug/budget view of the worker's budget state.
#include "data_plane/stages/usage/usage_stage.h"

#include <memory>
#include <memory_resource>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "boost/asio/co_spawn.hpp"
#include "boost/asio/detached.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/json.hpp"
#include "data_plane/config/budget_state_slot.h"
#include "data_plane/config/snapshot.h"
#include "data_plane/endpoints/worker_routes.h"
#include "data_plane/providers/openai/openai_response.h"
#include "data_plane/stages/usage/usage_cost.h"
#include "gtest/gtest.h"
#include "test_snapshots.h"

namespace gw::dp {
namespace {

namespace asio = boost::asio;
using gateway::config::v1::ModelPrice;
using gateway::usage::v1::UsageRecord;

ModelPrice Price(int64_t input, int64_t cached, int64_t output) {
  ModelPrice price;
  price.set_model("gpt-4o");
  price.set_input_micro_usd_per_mtok(input);
  price.set_cached_input_micro_usd_per_mtok(cached);
  price.set_output_micro_usd_per_mtok(output);
  return price;
}

TEST(UsageCostTest, ChargesCachedTokensOnceAtTheCachedPrice) {
  // $2.50 / $1.25 cached / $10.00 per 1M tokens.
  const ModelPrice price = Price(2'500'000, 1'250'000, 10'000'000);
  // 1,234 prompt tokens of which 1,000 cached: 234 at 2.50, 1,000 at 1.25; 567 out at 10.00.
  EXPECT_EQ(UsageCostPicoUsd({.input = 1234, .cached_input = 1000, .output = 567}, price),
            int64_t{234} * 2'500'000 + int64_t{1000} * 1'250'000 + int64_t{567} * 10'000'000);
  EXPECT_EQ(UsageCostPicoUsd({.input = 1234, .cached_input = 1000, .output = 567}, price),
            7'505'000'000);
  // No cache: every input token at the input price.
  EXPECT_EQ(UsageCostPicoUsd({.input = 7, .cached_input = 0, .output = 3}, price),
            7 * 2'500'000 + 3 * 10'000'000);
}

TEST(UsageCostTest, AwkwardPricesStayExact) {
  // $0.15 / $0.075 / $0.60 per 1M tokens (gpt-4o-mini): fractions of a micro-USD per token.
  const ModelPrice price = Price(150'000, 75'000, 600'000);
  EXPECT_EQ(UsageCostPicoUsd({.input = 3, .cached_input = 1, .output = 1}, price),
            2 * 150'000 + 75'000 + 600'000);
  // $0.000001 per 1M tokens: one pico-USD per token.
  EXPECT_EQ(UsageCostPicoUsd({.input = 999, .cached_input = 0, .output = 1}, Price(1, 1, 1)), 1000);
}

TEST(UsageCostTest, CachedBeyondInputIsCappedAndNegativesCountAsZero) {
  const ModelPrice price = Price(2'000'000, 1'000'000, 0);
  EXPECT_EQ(UsageCostPicoUsd({.input = 10, .cached_input = 50, .output = 0}, price),
            10 * 1'000'000);
  EXPECT_EQ(UsageCostPicoUsd({.input = -5, .cached_input = -1, .output = -3}, price), 0);
}

TEST(UsageCostTest, SaturatesInsteadOfWrapping) {
  const ModelPrice price = Price(INT64_MAX / 2, 0, INT64_MAX / 2);
  EXPECT_EQ(UsageCostPicoUsd({.input = 3, .cached_input = 0, .output = 0}, price), INT64_MAX);
  EXPECT_EQ(UsageCostPicoUsd({.input = 2, .cached_input = 0, .output = 2}, price), INT64_MAX);
}

TEST(StreamContentDeltasTest, CountsNonEmptyContentDeltasOnly) {
  StreamState state;
  for (const char* data : {
           R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""}}],"usage":null})",
           R"({"choices":[{"index":0,"delta":{"content":"Hello"}}],"usage":null})",
           R"({"choices":[{"index":0,"delta":{"content": " world"}}]})",
           R"({"choices":[{"index":0,"delta":{"content":"say \"content\":\"x\""}}]})",
           R"({"choices":[{"index":0,"delta":{"content":null}}]})",
           R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})",
           R"({"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":3,"total_tokens":6}})",
           "[DONE]",
       }) {
    ClassifyOpenAiStreamEvent(data, state);
  }
  EXPECT_EQ(state.content_deltas, 3);
  EXPECT_TRUE(state.usage.reported);
}

// The record the stage builds for `ctx` now.
UsageRecord Built(const UsageStage& stage, const RequestContext& ctx) {
  UsageRecord record;
  stage.BuildRecord(ctx, absl::Now(), record);
  return record;
}

class RecordingSink final : public UsageSink {
 public:
  void Submit(const UsageRecord& record) override {
    std::lock_guard<std::mutex> lock(mu_);
    records_.push_back(record);
  }
  std::vector<UsageRecord> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(records_, {});
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return records_.size();
  }

 private:
  std::mutex mu_;
  std::vector<UsageRecord> records_;
};

constexpr char kWorkerToken[] = "worker-token-for-tests";

// The real router with the usage stage; refusals never reach a provider, so no fake is needed.
class UsageStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    gateway::config::v1::Snapshot proto = gw::testing::MakeSnapshot(3);
    gw::testing::AddKey(proto, "key_a", "gwk-alpha", "team-a");
    gw::testing::AddKey(proto, "key_b", "gwk-bravo", "team-b");
    proto.mutable_config()->mutable_teams(0)->mutable_max_tokens_per_request()->set_value(100);
    ModelPrice price = Price(2'500'000, 1'250'000, 10'000'000);
    *proto.mutable_config()->add_prices() = price;
    auto snapshot = Snapshot::Compile(std::move(proto));
    ASSERT_TRUE(snapshot.ok()) << snapshot.status();
    snapshot_ = *std::move(snapshot);
    WorkerRoutesOptions options;
    options.usage_sink = sink_;
    options.worker_id = "worker-7";
    options.budget_state = &budget_state_;
    options.worker_token = kWorkerToken;
    router_ = BuildWorkerRouter(options);
    stage_ =
        std::make_unique<UsageStage>(UsageStageOptions{.sink = sink_, .worker_id = "worker-7"});
  }

  // Prepares ctx_ for `method` `path` with `body` and the gateway key `key` (none when empty).
  void Prepare(boost::beast::http::verb method, const std::string& path, const std::string& body,
               const std::string& key) {
    request_.emplace(std::piecewise_construct, std::make_tuple(),
                     std::make_tuple(RequestFieldAllocator(&arena_)));
    request_->method(method);
    request_->target(path);
    if (!key.empty()) request_->set("authorization", absl::StrCat("Bearer ", key));
    request_->body() = body;
    request_->prepare_payload();
    ctx_.Reset();
    ctx_.request = &*request_;
    ctx_.request_id = "req-usage-1";
    ctx_.snapshot = snapshot_;
    ctx_.received_at = absl::Now();
  }

  void Run(boost::beast::http::verb method, const std::string& path, const std::string& body,
           const std::string& key) {
    Prepare(method, path, body, key);
    // Stands for the session's write: notes what had been submitted by then. It must outlive
    // the pipeline's coroutine, which refers to it.
    records_when_answered_.reset();
    const auto respond = [this]() -> asio::awaitable<bool> {
      records_when_answered_ = sink_->size();
      co_return true;
    };
    asio::io_context io;
    asio::co_spawn(io, router_->Find(method, path).Run(ctx_, respond), asio::detached);
    io.run();
  }

  // The one record a request produced.
  UsageRecord OnlyRecord() {
    std::vector<UsageRecord> records = sink_->Take();
    EXPECT_EQ(records.size(), 1u);
    return records.empty() ? UsageRecord() : records.front();
  }

  std::shared_ptr<RecordingSink> sink_ = std::make_shared<RecordingSink>();
  std::optional<size_t> records_when_answered_;
  BudgetStateSlot budget_state_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<UsageStage> stage_;
  std::pmr::monotonic_buffer_resource arena_;
  std::optional<HttpRequest> request_;
  RequestContext ctx_;
};

std::string Chat(const std::string& model, const std::string& extra = "") {
  return absl::StrCat(R"({"model":")", model,
                      R"(","messages":[{"role":"user","content":"one two three"}])", extra, "}");
}

using boost::beast::http::verb;

TEST_F(UsageStageTest, RecordIsSubmittedOnlyAfterTheResponseIsWritten) {
  Run(verb::post, "/v1/chat/completions", Chat("gpt-4o"), "gwk-nobody");
  ASSERT_TRUE(records_when_answered_.has_value());
  EXPECT_EQ(*records_when_answered_, 0u);
  EXPECT_EQ(OnlyRecord().status_code(), 401);
}

TEST_F(UsageStageTest, UnknownKeyIsRecordedWithoutTeamOrKey) {
  Run(verb::post, "/v1/chat/completions", Chat("gpt-4o"), "gwk-nobody");
  ASSERT_EQ(ctx_.response.status, 401u);
  const UsageRecord record = OnlyRecord();
  EXPECT_EQ(record.status_code(), 401);
  EXPECT_EQ(record.error_code(), "invalid_api_key");
  EXPECT_EQ(record.team(), "");
  EXPECT_EQ(record.key_id(), "");
  EXPECT_EQ(record.request_id(), "req-usage-1");
  EXPECT_EQ(record.worker_id(), "worker-7");
  EXPECT_TRUE(record.record_id().starts_with("worker-7-")) << record.record_id();
  EXPECT_EQ(record.cost_pico_usd(), 0);
  EXPECT_GT(record.timestamp().seconds(), 1'700'000'000);
  EXPECT_GE(record.latency_us(), 0);
}

TEST_F(UsageStageTest, RefusalsOfAKnownKeyAreAttributedToItsTeam) {
  // 403: team-b may not use gpt-4o.
  Run(verb::post, "/v1/chat/completions", Chat("gpt-4o"), "gwk-bravo");
  ASSERT_EQ(ctx_.response.status, 403u);
  UsageRecord record = OnlyRecord();
  EXPECT_EQ(record.team(), "team-b");
  EXPECT_EQ(record.key_id(), "key_b");
  EXPECT_EQ(record.model(), "gpt-4o");
  EXPECT_EQ(record.status_code(), 403);
  EXPECT_EQ(record.error_code(), "model_not_allowed");
  EXPECT_EQ(record.provider(), "");
  EXPECT_EQ(record.input_tokens(), 0);
  EXPECT_EQ(record.cost_pico_usd(), 0);

  // 400: max_tokens over team-a's cap.
  Run(verb::post, "/v1/chat/completions", Chat("gpt-4o", R"(,"max_tokens":1000)"), "gwk-alpha");
  ASSERT_EQ(ctx_.response.status, 400u);
  record = OnlyRecord();
  EXPECT_EQ(record.team(), "team-a");
  EXPECT_EQ(record.status_code(), 400);
  EXPECT_EQ(record.error_code(), "max_tokens_exceeded");

  // 404: a model that does not exist keeps the name asked for; a name that is no valid name
  // (it could be anything, of any length) is left out.
  Run(verb::post, "/v1/chat/completions", Chat("no-such-model"), "gwk-alpha");
  record = OnlyRecord();
  EXPECT_EQ(record.status_code(), 404);
  EXPECT_EQ(record.model(), "no-such-model");
  EXPECT_EQ(record.error_code(), "model_not_found");
  Run(verb::post, "/v1/chat/completions", Chat(std::string(300, 'x') + " y"), "gwk-alpha");
  record = OnlyRecord();
  EXPECT_EQ(record.status_code(), 404);
  EXPECT_EQ(record.model(), "");
}

TEST_F(UsageStageTest, EveryV1PathIsMeteredButProbesAreNot) {
  Run(verb::get, "/v1/models", "", "gwk-alpha");
  EXPECT_EQ(OnlyRecord().status_code(), 200);
  Run(verb::post, "/v1/no-such-endpoint", "{}", "gwk-alpha");
  UsageRecord record = OnlyRecord();
  EXPECT_EQ(record.status_code(), 404);
  EXPECT_EQ(record.error_code(), "not_found");
  Run(verb::get, "/v1/chat/completions", "", "gwk-alpha");
  EXPECT_EQ(OnlyRecord().status_code(), 405);
  for (const char* path : {"/healthz", "/readyz", "/metrics", "/v2/chat"}) {
    Run(verb::get, path, "", "");
    EXPECT_TRUE(sink_->Take().empty()) << path;
  }
  Run(verb::get, "/debug/budget", "", kWorkerToken);
  EXPECT_TRUE(sink_->Take().empty());
}

TEST_F(UsageStageTest, RecordIdsAreUniquePerRequest) {
  Run(verb::get, "/v1/models", "", "gwk-alpha");
  const std::string first = OnlyRecord().record_id();
  Run(verb::get, "/v1/models", "", "gwk-alpha");
  EXPECT_NE(OnlyRecord().record_id(), first);
}

// The context as the upstream handler leaves it after a successful call of team-a's key.
void ServedByProvider(RequestContext& ctx, const Snapshot& snapshot) {
  ctx.key = snapshot.FindKeyByDigest(Sha256("gwk-alpha"));
  ctx.model = snapshot.FindModel("gpt-4o");
  ctx.facts.parsed = true;
  ctx.facts.model = "gpt-4o";
  ctx.usage.attempted = true;
  ctx.usage.provider = "openai";
  ctx.usage.upstream_model = "gpt-4o-2024-08-06";
  ctx.usage.status = 200;
  ctx.usage.latency = absl::Milliseconds(1500);
  ctx.usage.time_to_first_byte = absl::Milliseconds(250);
}

TEST_F(UsageStageTest, ProviderUsageIsPricedFromThePinnedSnapshot) {
  Prepare(verb::post, "/v1/chat/completions", Chat("gpt-4o"), "gwk-alpha");
  ServedByProvider(ctx_, *snapshot_);
  ctx_.usage.tokens = {.reported = true,
                       .prompt_tokens = 1234,
                       .cached_prompt_tokens = 1000,
                       .completion_tokens = 567,
                       .total_tokens = 1801};
  const UsageRecord record = Built(*stage_, ctx_);
  EXPECT_EQ(record.team(), "team-a");
  EXPECT_EQ(record.key_id(), "key_a");
  EXPECT_EQ(record.model(), "gpt-4o");
  EXPECT_EQ(record.provider(), "openai");
  EXPECT_EQ(record.upstream_model(), "gpt-4o-2024-08-06");
  EXPECT_EQ(record.input_tokens(), 1234);
  EXPECT_EQ(record.cached_input_tokens(), 1000);
  EXPECT_EQ(record.output_tokens(), 567);
  EXPECT_EQ(record.cost_pico_usd(), 7'505'000'000);
  EXPECT_EQ(record.latency_us(), 1'500'000);
  EXPECT_EQ(record.time_to_first_byte_us(), 250'000);
  EXPECT_EQ(record.status_code(), 200);
  EXPECT_EQ(record.error_code(), "");
  EXPECT_FALSE(record.estimated());
  EXPECT_FALSE(record.streamed());

  // A model without prices costs nothing.
  ctx_.model = snapshot_->FindModel("gpt-4o-mini");
  EXPECT_EQ(Built(*stage_, ctx_).cost_pico_usd(), 0);
}

TEST_F(UsageStageTest, ProviderErrorsKeepTheirStatusAndCode) {
  Prepare(verb::post, "/v1/chat/completions", Chat("gpt-4o"), "gwk-alpha");
  ServedByProvider(ctx_, *snapshot_);
  ctx_.usage.status = 429;
  ctx_.usage.failed = true;
  ctx_.response.status = 429;
  ctx_.response.body =
      R"({"error":{"message":"slow down","type":"requests","param":null,"code":"rate_limit_exceeded"}})";
  const UsageRecord record = Built(*stage_, ctx_);
  EXPECT_EQ(record.status_code(), 429);
  EXPECT_EQ(record.error_code(), "rate_limit_exceeded");
  EXPECT_EQ(record.provider(), "openai");
}

TEST_F(UsageStageTest, AbandonedStreamWithoutProviderUsageIsEstimated) {
  const std::string body = Chat("gpt-4o", R"(,"stream":true)");
  Prepare(verb::post, "/v1/chat/completions", body, "gwk-alpha");
  ServedByProvider(ctx_, *snapshot_);
  ctx_.usage.streamed = true;
  ctx_.usage.status = 499;
  ctx_.usage.failed = true;
  ctx_.usage.streamed_content_deltas = 7;
  const UsageRecord record = Built(*stage_, ctx_);
  EXPECT_TRUE(record.streamed());
  EXPECT_TRUE(record.estimated());
  EXPECT_EQ(record.status_code(), 499);
  EXPECT_EQ(record.output_tokens(), 7);
  const int64_t input = (static_cast<int64_t>(body.size()) + 3) / 4;
  EXPECT_EQ(record.input_tokens(), input);
  EXPECT_EQ(record.cached_input_tokens(), 0);
  EXPECT_EQ(record.cost_pico_usd(), input * 2'500'000 + 7 * 10'000'000);
}

TEST_F(UsageStageTest, StreamWithProviderUsageIsNotEstimated) {
  Prepare(verb::post, "/v1/chat/completions", Chat("gpt-4o", R"(,"stream":true)"), "gwk-alpha");
  ServedByProvider(ctx_, *snapshot_);
  ctx_.usage.streamed = true;
  ctx_.usage.streamed_content_deltas = 7;
  ctx_.usage.tokens = {.reported = true, .prompt_tokens = 3, .completion_tokens = 9};
  const UsageRecord record = Built(*stage_, ctx_);
  EXPECT_FALSE(record.estimated());
  EXPECT_EQ(record.output_tokens(), 9);
  EXPECT_EQ(record.cost_pico_usd(), 3 * 2'500'000 + 9 * 10'000'000);

  // A client that left before the provider's first byte: nothing was generated, nothing guessed.
  ctx_.usage.tokens = {};
  ctx_.usage.time_to_first_byte = absl::ZeroDuration();
  ctx_.usage.status = 499;
  const UsageRecord early = Built(*stage_, ctx_);
  EXPECT_FALSE(early.estimated());
  EXPECT_EQ(early.output_tokens(), 0);
  EXPECT_EQ(early.status_code(), 499);
}

TEST_F(UsageStageTest, BudgetViewNeedsTheWorkerToken) {
  Run(verb::get, "/debug/budget", "", "gwk-alpha");
  EXPECT_EQ(ctx_.response.status, 401u);
  Run(verb::get, "/debug/budget", "", "");
  EXPECT_EQ(ctx_.response.status, 401u);

  Run(verb::get, "/debug/budget", "", kWorkerToken);
  ASSERT_EQ(ctx_.response.status, 200u) << ctx_.response.body;
  EXPECT_EQ(boost::json::parse(ctx_.response.body).at("sequence").as_int64(), 0);

  gateway::config::v1::BudgetState state;
  state.set_sequence(42);
  state.mutable_computed_at()->set_seconds(1764100000);
  auto* team = state.add_teams();
  team->set_team("team-a");
  team->set_period("2025-11");
  team->set_spend_pico_usd(7'505'000'000);
  team->set_budget_micro_usd(5'000'000);
  ASSERT_TRUE(budget_state_.Offer(state));
  Run(verb::get, "/debug/budget", "", kWorkerToken);
  ASSERT_EQ(ctx_.response.status, 200u);
  const boost::json::value view = boost::json::parse(ctx_.response.body);
  EXPECT_EQ(view.at("sequence").as_int64(), 42);
  EXPECT_EQ(view.at("computed_at").as_string(), "2025-11-25T19:46:40Z");
  const boost::json::object& row = view.at("teams").as_array().at(0).as_object();
  EXPECT_EQ(row.at("team").as_string(), "team-a");
  EXPECT_EQ(row.at("period").as_string(), "2025-11");
  EXPECT_EQ(row.at("spend_pico_usd").as_int64(), 7'505'000'000);
  EXPECT_EQ(row.at("budget_micro_usd").as_int64(), 5'000'000);
}

}  // namespace
}  // namespace gw::dp
