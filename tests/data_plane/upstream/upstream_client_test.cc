#include "data_plane/upstream/upstream_client.h"

#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "boost/asio/co_spawn.hpp"
#include "boost/asio/experimental/awaitable_operators.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ssl/context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/use_awaitable.hpp"
#include "gtest/gtest.h"
#include "tests/data_plane/upstream/scripted_server.h"
#include "tests/data_plane/upstream/test_certs.h"

namespace gw::dp {
namespace {

namespace asio = boost::asio;
using ::gw::testing::Chunk;
using ::gw::testing::OkResponse;
using ::gw::testing::ScriptedConnection;
using ::gw::testing::ScriptedServer;

// Polls with a deadline instead of sleeping as synchronisation.
template <typename Condition>
bool PollUntil(Condition condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return true;
}

constexpr absl::string_view kChunkedHead =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

class UpstreamClientTest : public ::testing::Test {
 protected:
  void SetUp() override { MakeClient({}); }

  void MakeClient(const UpstreamClientOptions& options) {
    auto client = UpstreamClient::Create(io_.get_executor(), options);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
  }

  void UseServer(const ScriptedServer& server, bool tls = false,
                 absl::string_view host = "127.0.0.1") {
    auto endpoint = ParseUpstreamEndpoint(
        absl::StrCat(tls ? "https://" : "http://", host, ":", server.port(), "/v1"));
    ASSERT_TRUE(endpoint.ok()) << endpoint.status();
    endpoint_ = *std::move(endpoint);
  }

  // Runs a client coroutine on the test thread's io_context until it finishes.
  template <typename Body>
  void Run(Body body) {
    bool done = false;
    std::exception_ptr failure;
    asio::co_spawn(io_, body(), [&](std::exception_ptr e) {
      failure = e;
      done = true;
    });
    io_.restart();
    while (!done && io_.run_one() > 0) {
    }
    ASSERT_TRUE(done);
    if (failure) std::rethrow_exception(failure);
  }

  UpstreamRequest Request(bool streaming = false) {
    UpstreamRequest request;
    request.endpoint = &endpoint_;
    request.path = "/v1/chat/completions";
    request.headers = headers_;
    request.body = body_;
    request.streaming = streaming;
    request.timeouts = timeouts_;
    return request;
  }

  // One buffered call: status or the whole body.
  absl::StatusOr<std::string> Fetch() {
    absl::StatusOr<std::string> result;
    Run([&]() -> asio::awaitable<void> {
      UpstreamCall call(*client_);
      auto head = co_await call.Send(Request());
      if (!head.ok()) {
        result = head.status();
        co_return;
      }
      std::string body;
      const absl::Status read = co_await call.ReadAll(body);
      if (read.ok()) {
        result = std::move(body);
      } else {
        result = read;
      }
    });
    return result;
  }

  asio::io_context io_;
  std::unique_ptr<UpstreamClient> client_;
  UpstreamEndpoint endpoint_;
  std::vector<UpstreamHeader> headers_ = {{"Content-Type", "application/json"},
                                          {"Authorization", "Bearer sk-test-secret"}};
  std::vector<absl::string_view> body_ = {R"({"model":)", R"("gpt-x")", R"(,"n":0.7})"};
  UpstreamTimeouts timeouts_;
};

// Answers every request on the connection with `response`, recording the requests.
ScriptedServer::Script AnswerAll(std::string response) {
  return [response](ScriptedConnection& c) -> asio::awaitable<void> {
    while (auto request = co_await c.ReadRequest()) {
      c.server().RecordRequest(*request);
      if (!co_await c.Write(response)) break;
    }
  };
}

TEST_F(UpstreamClientTest, SendsHeadAndSplicedBodyAndReadsContentLengthBody) {
  ScriptedServer server(AnswerAll(OkResponse(R"({"ok":true})", "X-Extra: 1\r\n")));
  UseServer(server);

  int status = 0;
  std::string extra, body;
  Run([&]() -> asio::awaitable<void> {
    UpstreamCall call(*client_);
    auto head = co_await call.Send(Request());
    EXPECT_TRUE(head.ok()) << head.status();
    if (!head.ok()) co_return;
    status = head->status;
    extra = std::string(head->headers->Find("x-extra"));
    EXPECT_TRUE((co_await call.ReadAll(body)).ok());
  });
  EXPECT_EQ(status, 200);
  EXPECT_EQ(extra, "1");
  EXPECT_EQ(body, R"({"ok":true})");
  ASSERT_EQ(server.requests().size(), 1u);
  const std::string request = server.requests()[0];
  EXPECT_TRUE(absl::StartsWith(request, "POST /v1/chat/completions HTTP/1.1\r\n")) << request;
  EXPECT_TRUE(absl::StrContains(request, absl::StrCat("Host: 127.0.0.1:", server.port(), "\r\n")))
      << request;
  EXPECT_TRUE(absl::StrContains(request, "Content-Length: 25\r\n")) << request;
  EXPECT_TRUE(absl::StrContains(request, "Authorization: Bearer sk-test-secret\r\n"));
  EXPECT_TRUE(absl::EndsWith(request, "\r\n\r\n{\"model\":\"gpt-x\",\"n\":0.7}")) << request;
}

TEST_F(UpstreamClientTest, ReadsChunkedBodyWrittenInPieces) {
  ScriptedServer server([](ScriptedConnection& c) -> asio::awaitable<void> {
    while (co_await c.ReadRequest()) {
      co_await c.Write(absl::StrCat(kChunkedHead, Chunk("hello, ")));
      co_await c.Sleep(absl::Milliseconds(20));
      co_await c.Write(Chunk("chunked "));
      co_await c.Write(absl::StrCat(Chunk("world"), Chunk("")));
    }
  });
  UseServer(server);
  const absl::StatusOr<std::string> body = Fetch();
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "hello, chunked world");
}

TEST_F(UpstreamClientTest, ReusesKeepAliveConnection) {
  ScriptedServer server(AnswerAll(OkResponse("{}")));
  UseServer(server);
  for (int i = 0; i < 3; ++i) {
    const auto body = Fetch();
    ASSERT_TRUE(body.ok()) << body.status();
  }
  EXPECT_EQ(server.accepted(), 1);
  EXPECT_EQ(client_->connections_opened(), 1u);
  EXPECT_EQ(server.requests().size(), 3u);
  EXPECT_EQ(client_->pool().idle_count(), 1u);
}

TEST_F(UpstreamClientTest, ConnectionCloseIsNotReused) {
  ScriptedServer server(AnswerAll(OkResponse("{}", "Connection: close\r\n")));
  UseServer(server);
  ASSERT_TRUE(Fetch().ok());
  ASSERT_TRUE(Fetch().ok());
  EXPECT_EQ(server.accepted(), 2);
  EXPECT_EQ(client_->pool().idle_count(), 0u);
}

TEST_F(UpstreamClientTest, ReplacesPooledConnectionTheServerClosed) {
  // The server answers once per connection and then closes it without saying so, as servers
  // with short keep-alive timeouts do.
  std::atomic<int> closes{0};
  ScriptedServer server([&](ScriptedConnection& c) -> asio::awaitable<void> {
    if (co_await c.ReadRequest()) co_await c.Write(OkResponse("{}"));
    c.Close();
    ++closes;
  });
  UseServer(server);
  ASSERT_TRUE(Fetch().ok());
  // On loopback the FIN is in the client's socket once the server's close returned.
  ASSERT_TRUE(PollUntil([&] { return closes.load() == 1; }, absl::Seconds(5)));
  const auto second = Fetch();
  EXPECT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(server.accepted(), 2);
}

TEST_F(UpstreamClientTest, FailedWriteOnStaleConnectionIsRetriedOnAFreshOne) {
  // Without the liveness peek, a connection the server reset is only found out by writing.
  UpstreamClientOptions options;
  options.pool.check_idle_liveness = false;
  MakeClient(options);
  std::atomic<int> resets{0};
  ScriptedServer server([&](ScriptedConnection& c) -> asio::awaitable<void> {
    if (auto request = co_await c.ReadRequest()) {
      c.server().RecordRequest(*request);
      co_await c.Write(OkResponse("{}"));
    }
    c.Reset();
    ++resets;
  });
  UseServer(server);
  ASSERT_TRUE(Fetch().ok());
  // On loopback the reset is in the client's socket once the server's close returned.
  ASSERT_TRUE(PollUntil([&] { return resets.load() == 1; }, absl::Seconds(5)));
  const auto second = Fetch();
  EXPECT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(server.accepted(), 2);
  EXPECT_EQ(server.requests().size(), 2u);  // Each request reached the server once.
}

TEST_F(UpstreamClientTest, StreamingDeliversChunksBeforeTheResponseEnds) {
  std::atomic<bool> client_got_first{false};
  ScriptedServer server([&](ScriptedConnection& c) -> asio::awaitable<void> {
    if (!co_await c.ReadRequest()) co_return;
    co_await c.Write(absl::StrCat(kChunkedHead, Chunk("data: 1\n\n")));
    // The second event only goes out once the client has seen the first.
    if (!co_await c.WaitFor(client_got_first, absl::Seconds(10))) co_return;
    co_await c.Write(absl::StrCat(Chunk("data: 2\n\n"), Chunk("")));
  });
  UseServer(server);
  std::vector<std::string> chunks;
  absl::Status end;
  Run([&]() -> asio::awaitable<void> {
    UpstreamCall call(*client_);
    auto head = co_await call.Send(Request(/*streaming=*/true));
    EXPECT_TRUE(head.ok()) << head.status();
    if (!head.ok()) co_return;
    while (true) {
      auto chunk = co_await call.ReadBody();
      if (!chunk.ok()) {
        end = chunk.status();
        break;
      }
      if (chunk->empty()) break;
      chunks.emplace_back(*chunk);
      client_got_first = true;
    }
  });
  EXPECT_TRUE(end.ok()) << end;
  EXPECT_EQ(chunks, (std::vector<std::string>{"data: 1\n\n", "data: 2\n\n"}));
  EXPECT_EQ(client_->pool().idle_count(), 1u);
}

TEST_F(UpstreamClientTest, FirstByteTimeout) {
  ScriptedServer server([](ScriptedConnection& c) -> asio::awaitable<void> {
    if (co_await c.ReadRequest()) co_await c.WaitForClientClose(absl::Seconds(10));
  });
  UseServer(server);
  timeouts_.first_byte = absl::Milliseconds(200);
  const absl::Time start = absl::Now();
  const auto body = Fetch();
  EXPECT_EQ(body.status().code(), absl::StatusCode::kDeadlineExceeded) << body.status();
  EXPECT_EQ(UpstreamTimeoutOf(body.status()), UpstreamTimeout::kFirstByte);
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

// A pooled connection keeps its pending watchdog between calls (cancelling and arming it again
// for every call cost a timer-queue removal, an insertion and a posted handler): the next call's
// deadline must hold whether it is later or earlier than the one the watchdog was set for.
TEST_F(UpstreamClientTest, ReusedConnectionWaitsUntilItsOwnLaterDeadline) {
  ScriptedServer server([](ScriptedConnection& c) -> asio::awaitable<void> {
    if (!co_await c.ReadRequest() || !co_await c.Write(OkResponse("{}"))) co_return;
    if (!co_await c.ReadRequest()) co_return;
    co_await c.Sleep(absl::Milliseconds(400));
    co_await c.Write(OkResponse("{}"));
  });
  UseServer(server);
  timeouts_.first_byte = absl::Milliseconds(100);
  ASSERT_TRUE(Fetch().ok());
  timeouts_.first_byte = absl::Seconds(5);
  const auto body = Fetch();  // Past the first call's deadline, inside its own.
  EXPECT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(client_->connections_opened(), 1u);
}

TEST_F(UpstreamClientTest, ReusedConnectionEnforcesItsOwnEarlierDeadline) {
  ScriptedServer server([](ScriptedConnection& c) -> asio::awaitable<void> {
    if (!co_await c.ReadRequest() || !co_await c.Write(OkResponse("{}"))) co_return;
    if (co_await c.ReadRequest()) co_await c.WaitForClientClose(absl::Seconds(30));
  });
  UseServer(server);
  timeouts_.first_byte = absl::Seconds(30);
  ASSERT_TRUE(Fetch().ok());
  timeouts_.first_byte = absl::Milliseconds(200);
  const absl::Time start = absl::Now();
  const auto body = Fetch();
  EXPECT_EQ(UpstreamTimeoutOf(body.status()), UpstreamTimeout::kFirstByte) << body.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_EQ(client_->connections_opened(), 1u);
}

TEST_F(UpstreamClientTest, FirstByteTimeoutAlsoCoversTheWaitForTheBody) {
  ScriptedServer server([](ScriptedConnection& c) -> asio::awaitable<void> {
    if (!co_await c.ReadRequest()) co_return;
    co_await c.Write(kChunkedHead);
    co_await c.WaitForClientClose(absl::Seconds(10));
  });
  UseServer(server);
  timeouts_.first_byte = absl::Milliseconds(200);
  timeouts_.idle = absl::Seconds(30);
  absl::Status status;
  Run([&]() -> asio::awaitable<void> {
    UpstreamCall call(*client_);
    auto head = co_await call.Send(Request(/*streaming=*/true));
    EXPECT_TRUE(head.ok()) << head.status();
    if (!head.ok()) co_return;
    status = (co_await call.ReadBody()).status();
  });
  EXPECT_EQ(UpstreamTimeoutOf(status), UpstreamTimeout::kFirstByte) << status;
}

TEST_F(UpstreamClientTest, IdleTimeoutWhenStreamStalls) {
  ScriptedServer server([](ScriptedConnection& c) -> asio::awaitable<void> {
    if (!co_await c.ReadRequest()) co_return;
    co_await c.Write(absl::StrCat(kChunkedHead, Chunk("data: 1\n\n")));
    co_await c.WaitForClientClose(absl::Seconds(10));
  });
  UseServer(server);
  timeouts_.idle = absl::Milliseconds(200);
  absl::Status status;
  std::string first;
  const absl::Time start = absl::Now();
  Run([&]() -> asio::awaitable<void> {
    UpstreamCall call(*client_);
    auto head = co_await call.Send(Request(/*streaming=*/true));
    if (!head.ok()) co_return;
    auto chunk = co_await call.ReadBody();
    if (chunk.ok()) first = std::string(*chunk);
    status = (co_await call.ReadBody()).status();
  });
  EXPECT_EQ(first, "data: 1\n\n");
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_EQ(UpstreamTimeoutOf(status), UpstreamTimeout::kIdle) << status;
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  // The server sees the client give up.
  EXPECT_TRUE(PollUntil([&] { return server.accepted() == 1; }, absl::Seconds(1)));
}

TEST_F(UpstreamClientTest, TotalTimeoutForTricklingNonStreamingResponse) {
  ScriptedServer server([](ScriptedConnection& c) -> asio::awaitable<void> {
    if (!co_await c.ReadRequest()) co_return;
    if (!co_await c.Write(kChunkedHead)) co_return;
    for (int i = 0; i < 500; ++i) {
      if (!co_await c.Write(Chunk("x"))) co_return;
      co_await c.Sleep(absl::Milliseconds(20));
    }
  });
  UseServer(server);
  timeouts_.total = absl::Milliseconds(300);
  const absl::Time start = absl::Now();
  const auto body = Fetch();
  EXPECT_EQ(UpstreamTimeoutOf(body.status()), UpstreamTimeout::kTotal) << body.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST_F(UpstreamClientTest, StreamsHaveNoTotalTimeout) {
  ScriptedServer server([](ScriptedConnection& c) -> asio::awaitable<void> {
    if (!co_await c.ReadRequest()) co_return;
    if (!co_await c.Write(kChunkedHead)) co_return;
    for (int i = 0; i < 20; ++i) {
      if (!co_await c.Write(Chunk("x"))) co_return;
      co_await c.Sleep(absl::Milliseconds(20));
    }
    co_await c.Write(Chunk(""));
  });
  UseServer(server);
  timeouts_.total = absl::Milliseconds(100);
  absl::Status status;
  std::string body;
  Run([&]() -> asio::awaitable<void> {
    UpstreamCall call(*client_);
    auto head = co_await call.Send(Request(/*streaming=*/true));
    if (!head.ok()) co_return;
    while (true) {
      auto chunk = co_await call.ReadBody();
      status = chunk.status();
      if (!chunk.ok() || chunk->empty()) break;
      body.append(chunk->data(), chunk->size());
    }
  });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(body, std::string(20, 'x'));
}

TEST_F(UpstreamClientTest, ConnectTimeout) {
  // A listener whose accept queue is full drops further SYNs, so connecting hangs.
  asio::io_context side;
  asio::ip::tcp::acceptor full(side,
                               asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  full.listen(0);
  // Non-blocking connects (asio's synchronous connect would wait for the hanging ones).
  std::vector<asio::ip::tcp::socket> fillers;
  for (int i = 0; i < 2; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ASSERT_GE(fd, 0);
    const auto target = full.local_endpoint();
    ::connect(fd, target.data(), static_cast<socklen_t>(target.size()));
    fillers.emplace_back(side, asio::ip::tcp::v4(), fd);
  }
  // The first filler completes its handshake and fills the queue; wait for that.
  pollfd first = {fillers[0].native_handle(), POLLOUT, 0};
  ASSERT_EQ(::poll(&first, 1, 5000), 1);
  auto endpoint =
      ParseUpstreamEndpoint(absl::StrCat("http://127.0.0.1:", full.local_endpoint().port()));
  ASSERT_TRUE(endpoint.ok());
  endpoint_ = *endpoint;
  timeouts_.connect = absl::Milliseconds(300);
  const absl::Time start = absl::Now();
  const auto body = Fetch();
  EXPECT_EQ(UpstreamTimeoutOf(body.status()), UpstreamTimeout::kConnect) << body.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST_F(UpstreamClientTest, RefusedConnectionIsUnavailable) {
  asio::io_context side;
  uint16_t port;
  {
    asio::ip::tcp::acceptor probe(side,
                                  asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }
  auto endpoint = ParseUpstreamEndpoint(absl::StrCat("http://127.0.0.1:", port));
  ASSERT_TRUE(endpoint.ok());
  endpoint_ = *endpoint;
  const auto body = Fetch();
  EXPECT_EQ(body.status().code(), absl::StatusCode::kUnavailable) << body.status();
  EXPECT_FALSE(absl::StrContains(body.status().message(), "sk-test-secret"));
}

TEST_F(UpstreamClientTest, ResetMidStreamIsUnavailable) {
  ScriptedServer server([](ScriptedConnection& c) -> asio::awaitable<void> {
    if (!co_await c.ReadRequest()) co_return;
    co_await c.Write(absl::StrCat(kChunkedHead, Chunk("data: 1\n\n")));
    co_await c.Sleep(absl::Milliseconds(50));
    c.Reset();
  });
  UseServer(server);
  absl::Status status;
  Run([&]() -> asio::awaitable<void> {
    UpstreamCall call(*client_);
    auto head = co_await call.Send(Request(/*streaming=*/true));
    if (!head.ok()) co_return;
    while (true) {
      auto chunk = co_await call.ReadBody();
      status = chunk.status();
      if (!chunk.ok() || chunk->empty()) break;
    }
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(client_->pool().idle_count(), 0u);
}

TEST_F(UpstreamClientTest, BodyDelimitedByCloseIsReadAndNotPooled) {
  ScriptedServer server([](ScriptedConnection& c) -> asio::awaitable<void> {
    if (!co_await c.ReadRequest()) co_return;
    co_await c.Write("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"old\":");
    co_await c.Write("\"server\"}");
    c.Close();
  });
  UseServer(server);
  const auto body = Fetch();
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, R"({"old":"server"})");
  EXPECT_EQ(client_->pool().idle_count(), 0u);
}

TEST_F(UpstreamClientTest, InterimResponseIsSkipped) {
  ScriptedServer server([](ScriptedConnection& c) -> asio::awaitable<void> {
    while (co_await c.ReadRequest()) {
      co_await c.Write(absl::StrCat("HTTP/1.1 100 Continue\r\n\r\n", OkResponse("{}")));
    }
  });
  UseServer(server);
  const auto body = Fetch();
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, "{}");
  EXPECT_EQ(client_->pool().idle_count(), 1u);
}

TEST_F(UpstreamClientTest, CloseBeforeContentLengthIsUnavailable) {
  ScriptedServer server([](ScriptedConnection& c) -> asio::awaitable<void> {
    if (!co_await c.ReadRequest()) co_return;
    co_await c.Write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"partial\":");
    c.Close();
  });
  UseServer(server);
  const auto body = Fetch();
  EXPECT_EQ(body.status().code(), absl::StatusCode::kUnavailable) << body.status();
}

TEST_F(UpstreamClientTest, BodyOverTheLimitIsRefused) {
  UpstreamClientOptions options;
  options.max_response_body_bytes = 1000;
  MakeClient(options);
  ScriptedServer server(AnswerAll(OkResponse(std::string(2000, 'x'))));
  UseServer(server);
  const auto body = Fetch();
  EXPECT_EQ(body.status().code(), absl::StatusCode::kResourceExhausted) << body.status();
}

TEST_F(UpstreamClientTest, CancelClosesTheUpstreamSocketPromptly) {
  std::atomic<bool> got_request{false};
  std::atomic<bool> saw_close{false};
  ScriptedServer server([&](ScriptedConnection& c) -> asio::awaitable<void> {
    if (!co_await c.ReadRequest()) co_return;
    co_await c.Write(absl::StrCat(kChunkedHead, Chunk("data: 1\n\n")));
    got_request = true;
    saw_close = co_await c.WaitForClientClose(absl::Seconds(10));
  });
  UseServer(server);
  absl::Status status;
  absl::Time cancelled_at;
  Run([&]() -> asio::awaitable<void> {
    UpstreamCall call(*client_);
    auto head = co_await call.Send(Request(/*streaming=*/true));
    if (!head.ok()) co_return;
    auto first = co_await call.ReadBody();
    EXPECT_TRUE(first.ok());
    // As the session would on seeing its client hang up: cancel from another coroutine while
    // ReadBody is pending.
    asio::steady_timer timer(io_);
    timer.expires_after(std::chrono::milliseconds(50));
    timer.async_wait([&](const boost::system::error_code&) {
      cancelled_at = absl::Now();
      call.Cancel();
    });
    status = (co_await call.ReadBody()).status();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled) << status;
  ASSERT_TRUE(PollUntil([&] { return saw_close.load(); }, absl::Seconds(2)));
  EXPECT_LT(absl::Now() - cancelled_at, absl::Seconds(2));
  EXPECT_EQ(client_->pool().idle_count(), 0u);
}

TEST_F(UpstreamClientTest, CancellationSlotAbortsTheReadAndTheCallClosesTheSocket) {
  std::atomic<bool> saw_close{false};
  ScriptedServer server([&](ScriptedConnection& c) -> asio::awaitable<void> {
    if (!co_await c.ReadRequest()) co_return;
    co_await c.Write(kChunkedHead);
    saw_close = co_await c.WaitForClientClose(absl::Seconds(10));
  });
  UseServer(server);
  absl::Status status;
  Run([&]() -> asio::awaitable<void> {
    using namespace asio::experimental::awaitable_operators;  // NOLINT: operator|| only.
    UpstreamCall call(*client_);
    auto head = co_await call.Send(Request(/*streaming=*/true));
    if (!head.ok()) co_return;
    asio::steady_timer timer(io_);
    timer.expires_after(std::chrono::milliseconds(50));
    // The timer wins; the read is cancelled through its coroutine's cancellation slot.
    auto winner = co_await (call.ReadBody() || timer.async_wait(asio::use_awaitable));
    EXPECT_EQ(winner.index(), 1u);
    status = (co_await call.ReadBody()).status();
  });
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(PollUntil([&] { return saw_close.load(); }, absl::Seconds(2)));
  EXPECT_EQ(client_->pool().idle_count(), 0u);
}

TEST_F(UpstreamClientTest, CancelBeforeSend) {
  absl::Status status;
  Run([&]() -> asio::awaitable<void> {
    UpstreamCall call(*client_);
    call.Cancel();
    status = (co_await call.Send(Request())).status();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
}

// TLS: certificates generated for this test run.
class UpstreamTlsTest : public UpstreamClientTest {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(absl::StrCat(::testing::TempDir(), "/upstream-tls-", getpid()));
    std::string command = absl::StrCat("mkdir -p ", *dir_);
    ASSERT_EQ(std::system(command.c_str()), 0);
    auto certs = gw::testing::MakeTestCerts(*dir_);
    ASSERT_TRUE(certs.ok()) << certs.status();
    certs_ = new gw::testing::TestCerts(*certs);
  }
  static void TearDownTestSuite() {
    std::string command = absl::StrCat("rm -rf ", *dir_);
    std::system(command.c_str());
    delete certs_;
    delete dir_;
  }

  void SetUp() override {
    UpstreamClientOptions options;
    options.tls.extra_ca_file = certs_->ca_cert;
    MakeClient(options);
  }

  static std::unique_ptr<asio::ssl::context> ServerTls(const std::string& cert,
                                                       const std::string& key) {
    auto tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    tls->use_certificate_chain_file(cert);
    tls->use_private_key_file(key, asio::ssl::context::pem);
    return tls;
  }

  inline static std::string* dir_ = nullptr;
  inline static gw::testing::TestCerts* certs_ = nullptr;
};

TEST_F(UpstreamTlsTest, TrustedCertificateForIpAddress) {
  ScriptedServer server(AnswerAll(OkResponse(R"({"tls":1})")),
                        ServerTls(certs_->server_cert, certs_->server_key));
  UseServer(server, /*tls=*/true, "127.0.0.1");
  auto body = Fetch();
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(*body, R"({"tls":1})");
  body = Fetch();
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(server.accepted(), 1);  // Keep-alive over TLS too.
}

TEST_F(UpstreamTlsTest, NewConnectionResumesTheOriginsSession) {
  ScriptedServer server(AnswerAll(OkResponse("{}", "Connection: close\r\n")),
                        ServerTls(certs_->server_cert, certs_->server_key));
  UseServer(server, /*tls=*/true, "localhost");
  ASSERT_TRUE(Fetch().ok());
  ASSERT_TRUE(Fetch().ok());
  EXPECT_EQ(server.accepted(), 2);
  EXPECT_EQ(client_->tls_resumptions(), 1u);
}

TEST_F(UpstreamTlsTest, TrustedCertificateForHostName) {
  ScriptedServer server(AnswerAll(OkResponse("{}")),
                        ServerTls(certs_->server_cert, certs_->server_key));
  UseServer(server, /*tls=*/true, "localhost");
  const auto body = Fetch();
  EXPECT_TRUE(body.ok()) << body.status();
}

TEST_F(UpstreamTlsTest, WrongHostNameIsRefused) {
  ScriptedServer server(AnswerAll(OkResponse("{}")),
                        ServerTls(certs_->wrong_name_cert, certs_->wrong_name_key));
  UseServer(server, /*tls=*/true, "localhost");
  const auto body = Fetch();
  EXPECT_EQ(body.status().code(), absl::StatusCode::kUnavailable) << body.status();
  EXPECT_TRUE(absl::StrContains(body.status().message(), "certificate")) << body.status();
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(UpstreamTlsTest, UntrustedCaIsRefused) {
  ScriptedServer server(AnswerAll(OkResponse("{}")),
                        ServerTls(certs_->untrusted_cert, certs_->untrusted_key));
  UseServer(server, /*tls=*/true, "127.0.0.1");
  const auto body = Fetch();
  EXPECT_EQ(body.status().code(), absl::StatusCode::kUnavailable) << body.status();
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(UpstreamTlsTest, MissingExtraCaFileIsAnError) {
  UpstreamClientOptions options;
  options.tls.extra_ca_file = "/nonexistent/ca.pem";
  EXPECT_EQ(UpstreamClient::Create(io_.get_executor(), options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gw::dp
