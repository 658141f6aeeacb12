// The bridge between the pipeline's server-sent events and gRPC stream messages: events become
// messages in order (split anywhere), one write at a time until gRPC completes it, the end marker
// or an error event decides the final status, and a client that leaves ends WaitForClientGone.
#include "data_plane/grpc/chunk_stream_bridge.h"

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "boost/asio/co_spawn.hpp"
#include "boost/asio/detached.hpp"
#include "boost/asio/experimental/awaitable_operators.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/use_awaitable.hpp"
#include "gtest/gtest.h"

namespace gw::dp {
namespace {

namespace asio = boost::asio;
namespace inference = gateway::inference::v1;

// Records what gRPC would send; completes writes at once unless told to hold them.
class RecordingSink final : public ChunkSink {
 public:
  void StartChunkWrite(const inference::ChatCompletionChunk* chunk) override {
    ++outstanding;
    EXPECT_EQ(outstanding, 1) << "a second write started before the first completed";
    contents.push_back(chunk->choices_size() > 0 ? chunk->choices(0).delta().content() : "");
    ids.push_back(chunk->id());
    if (!hold_writes) Complete(true);
  }
  void Complete(bool ok) {
    --outstanding;
    // gRPC completes writes on its own threads.
    std::thread([bridge = bridge, ok] { bridge->OnWriteDone(ok); }).join();
  }

  std::shared_ptr<ChunkStreamBridge> bridge;
  bool hold_writes = false;
  int outstanding = 0;
  std::vector<std::string> contents;
  std::vector<std::string> ids;
};

std::string ChunkEvent(const std::string& id, const std::string& content) {
  return "data: {\"id\":\"" + id + "\",\"object\":\"chat.completion.chunk\",\"choices\":[{" +
         "\"index\":0,\"delta\":{\"content\":\"" + content + "\"},\"finish_reason\":null}]}\n\n";
}

class ChunkStreamBridgeTest : public ::testing::Test {
 protected:
  ChunkStreamBridgeTest() {
    bridge_ = std::make_shared<ChunkStreamBridge>(io_.get_executor(), sink_);
    sink_.bridge = bridge_;
  }

  // Runs `body` as a coroutine on the test's io_context until it and everything it started end.
  template <typename Body>
  void RunCoroutine(Body body) {
    asio::co_spawn(io_, std::move(body), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    io_.run();
    io_.restart();
  }

  asio::io_context io_;
  RecordingSink sink_;
  std::shared_ptr<ChunkStreamBridge> bridge_;
};

TEST_F(ChunkStreamBridgeTest, EventsBecomeMessagesInOrderAndDoneEndsOk) {
  RunCoroutine([&]() -> asio::awaitable<void> {
    EXPECT_TRUE(co_await bridge_->Begin(200, "text/event-stream"));
    EXPECT_TRUE(co_await bridge_->Write(ChunkEvent("c1", "hello") + ChunkEvent("c2", " there")));
    const std::string split = ChunkEvent("c3", " world");
    EXPECT_TRUE(co_await bridge_->Write(split.substr(0, 17)));
    EXPECT_TRUE(co_await bridge_->Write(split.substr(17)));
    EXPECT_TRUE(co_await bridge_->Write("data: [DONE]\n\n"));
    EXPECT_TRUE(co_await bridge_->End(true));
  });
  EXPECT_EQ(sink_.ids, (std::vector<std::string>{"c1", "c2", "c3"}));
  EXPECT_EQ(sink_.contents, (std::vector<std::string>{"hello", " there", " world"}));
  EXPECT_TRUE(bridge_->started());
  EXPECT_TRUE(bridge_->FinalStatus(Response()).ok());
}

TEST_F(ChunkStreamBridgeTest, WriteWaitsUntilGrpcIsDoneWithTheMessage) {
  sink_.hold_writes = true;
  bool written = false;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        co_await bridge_->Begin(200, "text/event-stream");
        written = co_await bridge_->Write(ChunkEvent("c1", "a") + ChunkEvent("c2", "b"));
      },
      asio::detached);
  io_.poll();
  EXPECT_EQ(sink_.ids.size(), 1u);  // The second message waits for the first.
  EXPECT_FALSE(written);
  sink_.Complete(true);
  io_.poll();
  EXPECT_EQ(sink_.ids.size(), 2u);
  EXPECT_FALSE(written);
  sink_.Complete(true);
  io_.run();
  EXPECT_TRUE(written);
}

TEST_F(ChunkStreamBridgeTest, ErrorEventBecomesTheFinalStatus) {
  RunCoroutine([&]() -> asio::awaitable<void> {
    co_await bridge_->Begin(200, "text/event-stream");
    co_await bridge_->Write(ChunkEvent("c1", "partial"));
    co_await bridge_->Write(
        "data: {\"error\":{\"message\":\"provider 'p' timed out\",\"type\":\"api_error\","
        "\"param\":null,\"code\":\"upstream_timeout\"}}\n\n");
    co_await bridge_->End(false);
  });
  EXPECT_EQ(sink_.ids.size(), 1u);  // The error event is a status, not a message.
  const grpc::Status status = bridge_->FinalStatus(Response());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(status.error_message(), "provider 'p' timed out");
}

TEST_F(ChunkStreamBridgeTest, StreamThatEndsWithoutDoneIsUnavailable) {
  RunCoroutine([&]() -> asio::awaitable<void> {
    co_await bridge_->Begin(200, "text/event-stream");
    co_await bridge_->Write(ChunkEvent("c1", "partial"));
    co_await bridge_->End(false);
  });
  EXPECT_EQ(bridge_->FinalStatus(Response()).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(ChunkStreamBridgeTest, RefusalBeforeTheStreamIsTheResponsesStatus) {
  Response response;
  response.status = 403;
  response.body = R"({"error":{"message":"not for this key","type":"permission_error"}})";
  EXPECT_FALSE(bridge_->started());
  const grpc::Status status = bridge_->FinalStatus(response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(), "not for this key");
}

TEST_F(ChunkStreamBridgeTest, ClientGoneEndsTheWaitAndFailsLaterWrites) {
  bool gone_seen = false;
  RunCoroutine([&]() -> asio::awaitable<void> {
    co_await bridge_->Begin(200, "text/event-stream");
    std::thread cancel([bridge = bridge_] { bridge->OnClientGone(); });
    co_await bridge_->WaitForClientGone();
    cancel.join();
    gone_seen = true;
    EXPECT_FALSE(co_await bridge_->Write(ChunkEvent("c1", "late")));
  });
  EXPECT_TRUE(gone_seen);
  EXPECT_TRUE(sink_.ids.empty());
  EXPECT_EQ(bridge_->FinalStatus(Response()).error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(ChunkStreamBridgeTest, WaitForClientGoneCanBeCancelledAndWaitedForAgain) {
  RunCoroutine([&]() -> asio::awaitable<void> {
    using namespace asio::experimental::awaitable_operators;  // NOLINT: operator|| only.
    asio::steady_timer soon(io_, std::chrono::milliseconds(1));
    const auto first =
        co_await (bridge_->WaitForClientGone() || soon.async_wait(asio::use_awaitable));
    EXPECT_EQ(first.index(), 1u);  // The client is still there.
    bridge_->OnClientGone();
    asio::steady_timer never(io_, std::chrono::hours(1));
    const auto second =
        co_await (bridge_->WaitForClientGone() || never.async_wait(asio::use_awaitable));
    EXPECT_EQ(second.index(), 0u);
  });
}

}  // namespace
}  // namespace gw::dp
