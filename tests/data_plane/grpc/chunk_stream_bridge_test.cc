// The bridge between the pipeline's server-sent events and gRPC stream messages: events become
// messages in order (split anywhere), one write at a time until gRPC completes it, the end marker
// or an error event decides the final status, and a client that leaves is told to the client watch.
#include "data_plane/grpc/chunk_stream_bridge.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "boost/asio/co_spawn.hpp"
#include "boost/asio/detached.hpp"
#include "boost/asio/io_context.hpp"
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

// Counts what the client watch tells it.
class CountingListener final : public ClientGoneListener {
 public:
  void OnClientGone() override { ++told; }
  int told = 0;
};

TEST_F(ChunkStreamBridgeTest, ClientGoneTellsTheWatchAndFailsLaterWrites) {
  CountingListener listener;
  RunCoroutine([&]() -> asio::awaitable<void> {
    co_await bridge_->Begin(200, "text/event-stream");
    bridge_->WatchClient(listener);
  });
  // gRPC reports the cancel on its own threads; the watch hears it on the executor.
  std::thread([bridge = bridge_] { bridge->OnClientGone(); }).join();
  EXPECT_EQ(listener.told, 0);
  io_.run();
  io_.restart();
  EXPECT_EQ(listener.told, 1);
  RunCoroutine([&]() -> asio::awaitable<void> {
    EXPECT_FALSE(co_await bridge_->Write(ChunkEvent("c1", "late")));
  });
  bridge_->StopWatchingClient();
  EXPECT_EQ(listener.told, 1);
  EXPECT_TRUE(sink_.ids.empty());
  EXPECT_EQ(bridge_->FinalStatus(Response()).error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(ChunkStreamBridgeTest, AWatchBegunAfterTheClientLeftIsToldButNotFromInsideWatchClient) {
  bridge_->OnClientGone();
  io_.run();
  io_.restart();
  CountingListener listener;
  bridge_->WatchClient(listener);
  EXPECT_EQ(listener.told, 0);  // The caller has yet to start what the listener cancels.
  io_.run();
  EXPECT_EQ(listener.told, 1);
}

TEST_F(ChunkStreamBridgeTest, AStoppedWatchIsNeverTold) {
  CountingListener stopped;
  bridge_->WatchClient(stopped);
  bridge_->StopWatchingClient();
  bridge_->OnClientGone();
  io_.run();
  io_.restart();
  EXPECT_EQ(stopped.told, 0);

  // Nor is a watch that was stopped while the news for it was queued; the next watch is told once.
  CountingListener earlier;
  CountingListener current;
  bridge_->WatchClient(earlier);
  bridge_->StopWatchingClient();
  bridge_->WatchClient(current);
  io_.run();
  EXPECT_EQ(earlier.told, 0);
  EXPECT_EQ(current.told, 1);
}

}  // namespace
}  // namespace gw::dp
