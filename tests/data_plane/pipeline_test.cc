// Tests of Pipeline::Run: the order of the stages' hooks around the handler and the responder,
// and that the completion hooks run exactly once, even when the write is abandoned.
#include "data_plane/pipeline/pipeline.h"

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "boost/asio/co_spawn.hpp"
#include "boost/asio/detached.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/this_coro.hpp"
#include "boost/asio/use_awaitable.hpp"
#include "gtest/gtest.h"

namespace gw::dp {
namespace {

namespace asio = boost::asio;
using Trace = std::vector<std::string>;

// Appends "<name>.<hook>" to the trace for every hook; answers in OnRequest when told to.
class TracingStage final : public Stage {
 public:
  TracingStage(std::string name, Trace& trace, bool answers = false)
      : name_(std::move(name)), trace_(trace), answers_(answers) {}
  absl::string_view name() const override { return name_; }
  StageVerdict OnRequest(RequestContext& ctx) const override {
    trace_.push_back(name_ + ".request");
    if (!answers_) return StageVerdict::kContinue;
    ctx.response.status = 429;
    return StageVerdict::kRespond;
  }
  void OnResponse(RequestContext& /*ctx*/) const override { trace_.push_back(name_ + ".response"); }
  void OnComplete(RequestContext& ctx) const override {
    trace_.push_back(name_ + ".complete " + std::to_string(ctx.response.status));
  }

 private:
  const std::string name_;
  Trace& trace_;
  const bool answers_;
};

class TracingHandler final : public Handler {
 public:
  TracingHandler(Trace& trace, bool throws) : trace_(trace), throws_(throws) {}
  asio::awaitable<void> Handle(RequestContext& ctx) const override {
    trace_.push_back("handler");
    if (throws_) throw std::runtime_error("handler broke");
    ctx.response.status = 200;
    co_return;
  }

 private:
  Trace& trace_;
  const bool throws_;
};

class PipelineTest : public ::testing::Test {
 protected:
  Pipeline Make(bool second_answers = false, bool handler_throws = false) {
    return Pipeline({std::make_shared<TracingStage>("first", trace_),
                     std::make_shared<TracingStage>("second", trace_, second_answers),
                     std::make_shared<TracingStage>("third", trace_)},
                    std::make_shared<TracingHandler>(trace_, handler_throws));
  }

  // Runs `pipeline` to its end with a responder that succeeds or fails as told; returns what
  // Run returned.
  bool RunToEnd(const Pipeline& pipeline, bool write_succeeds = true) {
    const auto respond = [this, write_succeeds]() -> asio::awaitable<bool> {
      trace_.push_back("respond " + std::to_string(ctx_.response.status));
      co_return write_succeeds;
    };
    bool result = !write_succeeds;
    asio::io_context io;
    asio::co_spawn(io, pipeline.Run(ctx_, respond), [&result](std::exception_ptr error, bool r) {
      if (error) std::rethrow_exception(error);
      result = r;
    });
    io.run();
    return result;
  }

  Trace trace_;
  RequestContext ctx_;
};

TEST_F(PipelineTest, CompletionHooksRunAfterTheResponderInReverse) {
  EXPECT_TRUE(RunToEnd(Make()));
  EXPECT_EQ(trace_, (Trace{"first.request", "second.request", "third.request", "handler",
                           "third.response", "second.response", "first.response", "respond 200",
                           "third.complete 200", "second.complete 200", "first.complete 200"}));
}

TEST_F(PipelineTest, ALocalReplySkipsLaterStagesAndTheHandler) {
  EXPECT_TRUE(RunToEnd(Make(/*second_answers=*/true)));
  EXPECT_EQ(trace_, (Trace{"first.request", "second.request", "second.response", "first.response",
                           "respond 429", "second.complete 429", "first.complete 429"}));
}

TEST_F(PipelineTest, AFailedWriteIsReportedAndStillCompletes) {
  EXPECT_FALSE(RunToEnd(Make(), /*write_succeeds=*/false));
  ASSERT_EQ(trace_.size(), 11u);
  EXPECT_EQ(trace_.back(), "first.complete 200");
}

TEST_F(PipelineTest, AHandlerThatThrowsAnswers500AndStillCompletes) {
  EXPECT_TRUE(RunToEnd(Make(/*second_answers=*/false, /*handler_throws=*/true)));
  EXPECT_EQ(ctx_.response.status, 500u);
  EXPECT_EQ(trace_, (Trace{"first.request", "second.request", "third.request", "handler",
                           "third.response", "second.response", "first.response", "respond 500",
                           "third.complete 500", "second.complete 500", "first.complete 500"}));
}

// A server stopping at its drain deadline destroys requests still writing: their completion
// hooks (metering) run then, once.
TEST_F(PipelineTest, AWriteAbandonedAtShutdownStillCompletesOnce) {
  const Pipeline pipeline = Make();
  bool writing = false;
  const auto respond = [&writing]() -> asio::awaitable<bool> {
    asio::steady_timer never(co_await asio::this_coro::executor, std::chrono::hours(24));
    writing = true;
    co_await never.async_wait(asio::use_awaitable);
    co_return true;
  };
  {
    asio::io_context io;
    asio::co_spawn(io, pipeline.Run(ctx_, respond), asio::detached);
    io.poll();
    ASSERT_TRUE(writing);
    EXPECT_EQ(trace_.back(), "first.response");
  }
  ASSERT_EQ(trace_.size(), 10u);
  EXPECT_EQ(trace_[7], "third.complete 200");
  EXPECT_EQ(trace_[8], "second.complete 200");
  EXPECT_EQ(trace_[9], "first.complete 200");
}

}  // namespace
}  // namespace gw::dp
