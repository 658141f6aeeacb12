// Heap allocations of the client thread per request on a warm keep-alive connection: the
// upstream path should reuse its buffers instead of allocating for every call. Counts with a
// replaced global operator new, on the client thread only (the scripted server allocates freely).
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/asio/co_spawn.hpp"
#include "boost/asio/io_context.hpp"
#include "data_plane/upstream/upstream_client.h"
#include "gtest/gtest.h"
#include "tests/data_plane/upstream/scripted_server.h"

// The replacement pair below is matched (malloc/free); GCC cannot see that through inlining.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
thread_local bool counting = false;
thread_local long allocations = 0;
}  // namespace

void* operator new(std::size_t size) {
  if (counting) ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace gw::dp {
namespace {

namespace asio = boost::asio;
using ::gw::testing::Chunk;
using ::gw::testing::ScriptedConnection;
using ::gw::testing::ScriptedServer;

TEST(UpstreamAllocationTest, WarmKeepAliveCallsDoNotAllocate) {
  ScriptedServer server([](ScriptedConnection& c) -> asio::awaitable<void> {
    while (co_await c.ReadRequest()) {
      co_await c.Write(absl::StrCat(
          "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n"
          "X-Request-Id: abc\r\nOpenAI-Processing-Ms: 12\r\n\r\n",
          Chunk("data: {\"a\":1}\n\n"), Chunk("data: [DONE]\n\n"), Chunk("")));
    }
  });
  asio::io_context io;
  auto client = UpstreamClient::Create(io.get_executor(), {});
  ASSERT_TRUE(client.ok());
  auto endpoint = ParseUpstreamEndpoint(absl::StrCat("http://127.0.0.1:", server.port(), "/v1"));
  ASSERT_TRUE(endpoint.ok());
  const std::vector<UpstreamHeader> headers = {{"Content-Type", "application/json"},
                                               {"Authorization", "Bearer k"}};
  const std::vector<absl::string_view> body = {R"({"model":"m","stream":true})"};

  std::vector<long> per_call;
  bool failed = false;
  auto calls = [&]() -> asio::awaitable<void> {
    for (int i = 0; i < 20; ++i) {
      allocations = 0;
      counting = true;
      {
        UpstreamCall call(**client);
        UpstreamRequest request;
        request.endpoint = &*endpoint;
        request.path = "/v1/chat/completions";
        request.headers = headers;
        request.body = body;
        request.streaming = true;
        auto head = co_await call.Send(request);
        if (!head.ok()) failed = true;
        while (head.ok()) {
          auto chunk = co_await call.ReadBody();
          if (!chunk.ok()) failed = true;
          if (!chunk.ok() || chunk->empty()) break;
        }
      }
      counting = false;
      per_call.push_back(allocations);
    }
  };
  bool done = false;
  asio::co_spawn(io, calls(), [&](std::exception_ptr) { done = true; });
  while (!done && io.run_one() > 0) {
  }
  ASSERT_FALSE(failed);
  ASSERT_EQ(per_call.size(), 20u);
  EXPECT_EQ(server.accepted(), 1);
  // The first call connects and grows the buffers; later ones reuse everything.
  for (size_t i = 5; i < per_call.size(); ++i) EXPECT_EQ(per_call[i], 0) << "call " << i;
  std::string counts;
  for (const long n : per_call) absl::StrAppend(&counts, n, " ");
  RecordProperty("allocations_per_call", counts);
  std::printf("allocations per call: %s\n", counts.c_str());
}

}  // namespace
}  // namespace gw::dp
