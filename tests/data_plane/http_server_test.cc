// The worker's HTTP API over real loopback sockets: health, readiness, /v1/models with gateway
// key auth, error shapes, request ids, keep-alive, the body limit and graceful stop.
#include "data_plane/server/http_server.h"

#include <atomic>
#include <memory>
#include <regex>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/this_coro.hpp"
#include "boost/asio/use_awaitable.hpp"
#include "boost/asio/write.hpp"
#include "boost/beast/http/empty_body.hpp"
#include "boost/beast/http/read.hpp"
#include "data_plane/config/snapshot_applier.h"
#include "data_plane/config/snapshot_store.h"
#include "data_plane/endpoints/worker_routes.h"
#include "gtest/gtest.h"
#include "http_test_client.h"
#include "poll_until.h"
#include "spdlog/spdlog.h"
#include "test_snapshots.h"

namespace gw::dp {
namespace {
using ::gw::testing::AddKey;
using ::gw::testing::HttpGet;
using ::gw::testing::HttpReply;
using ::gw::testing::HttpTestClient;
using ::gw::testing::MakeSnapshot;
using ::gw::testing::Serialized;
using ::gw::testing::SetExpiry;
namespace http = boost::beast::http;

constexpr char kKeyA[] = "gwk-team-a-key-00000000000000000000000000000";
constexpr char kKeyB[] = "gwk-team-b-key-00000000000000000000000000000";
constexpr char kKeyNarrow[] = "gwk-narrow-key-0000000000000000000000000000";
constexpr char kKeyExpired[] = "gwk-expired-key-000000000000000000000000000";
constexpr uint64_t kBodyLimit = 1024;

std::string Bearer(const std::string& key) { return "Bearer " + key; }

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_ = BuildWorkerRouter({.max_body_bytes = kBodyLimit});
    HttpServerOptions options;
    options.listen = "127.0.0.1:0";
    options.threads = 2;
    options.limits.max_body_bytes = kBodyLimit;
    server_ = std::make_unique<HttpServer>(options, *router_, store_);
    absl::Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started;
    port_ = server_->port();
  }
  void TearDown() override { server_->Stop(absl::Seconds(1)); }

  void ApplyConfig(int64_t version) {
    auto snapshot = MakeSnapshot(version);
    AddKey(snapshot, "key_a", kKeyA, "team-a");
    AddKey(snapshot, "key_b", kKeyB, "team-b");
    AddKey(snapshot, "key_narrow", kKeyNarrow, "team-a", {"gpt-4o"});
    SetExpiry(AddKey(snapshot, "key_expired", kKeyExpired, "team-a"),
              absl::Now() - absl::Minutes(1));
    ASSERT_TRUE(applier_.Apply(Serialized(snapshot)).ok());
  }

  static void ExpectOpenAiError(const HttpReply& reply, unsigned status, const std::string& type,
                                const std::string& code) {
    ASSERT_TRUE(reply.ok) << reply.error;
    EXPECT_EQ(reply.status(), status) << reply.message.body();
    EXPECT_EQ(reply.header("Content-Type"), "application/json");
    const boost::json::value body = reply.json();
    ASSERT_TRUE(body.is_object()) << reply.message.body();
    const auto& error = body.at("error").as_object();
    EXPECT_TRUE(error.at("message").is_string());
    EXPECT_FALSE(error.at("message").as_string().empty());
    EXPECT_EQ(error.at("type").as_string(), type);
    EXPECT_TRUE(error.at("param").is_null());
    EXPECT_EQ(error.at("code").as_string(), code);
  }

  static std::vector<std::string> ModelIds(const HttpReply& reply) {
    std::vector<std::string> ids;
    const boost::json::value body = reply.json();
    EXPECT_EQ(body.at("object").as_string(), "list");
    for (const auto& model : body.at("data").as_array()) {
      EXPECT_EQ(model.at("object").as_string(), "model");
      EXPECT_TRUE(model.at("created").is_int64());
      EXPECT_EQ(model.at("owned_by").as_string(), "openai");
      ids.emplace_back(model.at("id").as_string());
    }
    return ids;
  }

  SnapshotStore store_;
  SnapshotApplier applier_{&store_, ""};
  std::unique_ptr<Router> router_;
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
};

TEST_F(HttpServerTest, HealthzAnswersWhileRunning) {
  const HttpReply reply = HttpGet(port_, "/healthz");
  ASSERT_TRUE(reply.ok) << reply.error;
  EXPECT_EQ(reply.status(), 200u);
  EXPECT_EQ(reply.header("Content-Type"), "application/json");
  EXPECT_FALSE(reply.header("x-request-id").empty());
}

TEST_F(HttpServerTest, ReadyzIs503UntilASnapshotIsAppliedThenReportsItsVersion) {
  const HttpReply before = HttpGet(port_, "/readyz");
  ASSERT_TRUE(before.ok) << before.error;
  EXPECT_EQ(before.status(), 503u);
  EXPECT_EQ(before.header("Content-Type"), "application/json");

  ApplyConfig(42);
  const HttpReply after = HttpGet(port_, "/readyz");
  ASSERT_TRUE(after.ok) << after.error;
  EXPECT_EQ(after.status(), 200u);
  EXPECT_EQ(after.json().at("config_version").as_int64(), 42);
}

TEST_F(HttpServerTest, ModelsRejectsMissingUnknownAndExpiredKeys) {
  ApplyConfig(1);
  ExpectOpenAiError(HttpGet(port_, "/v1/models"), 401, "authentication_error", "missing_api_key");
  ExpectOpenAiError(HttpGet(port_, "/v1/models", {{"Authorization", "Bearer "}}), 401,
                    "authentication_error", "missing_api_key");
  ExpectOpenAiError(HttpGet(port_, "/v1/models", {{"Authorization", Bearer("gwk-unknown")}}), 401,
                    "authentication_error", "invalid_api_key");
  ExpectOpenAiError(HttpGet(port_, "/v1/models", {{"x-api-key", "gwk-unknown"}}), 401,
                    "authentication_error", "invalid_api_key");
  ExpectOpenAiError(HttpGet(port_, "/v1/models", {{"Authorization", Bearer(kKeyExpired)}}), 401,
                    "authentication_error", "expired_api_key");
  // The presented key never comes back in an error.
  const HttpReply unknown =
      HttpGet(port_, "/v1/models", {{"Authorization", Bearer("gwk-secret-guess")}});
  EXPECT_EQ(unknown.message.body().find("gwk-secret-guess"), std::string::npos);
}

TEST_F(HttpServerTest, RevokedKeyIsRejectedOnceTheSnapshotWithoutItApplies) {
  ApplyConfig(1);
  EXPECT_EQ(HttpGet(port_, "/v1/models", {{"Authorization", Bearer(kKeyB)}}).status(), 200u);
  auto revoked = MakeSnapshot(2);  // key_b absent: revoked.
  AddKey(revoked, "key_a", kKeyA, "team-a");
  ASSERT_TRUE(applier_.Apply(Serialized(revoked)).ok());
  ExpectOpenAiError(HttpGet(port_, "/v1/models", {{"Authorization", Bearer(kKeyB)}}), 401,
                    "authentication_error", "invalid_api_key");
}

TEST_F(HttpServerTest, ModelsListsWhatTheKeyMayUse) {
  ApplyConfig(1);
  using Names = std::vector<std::string>;
  const HttpReply a = HttpGet(port_, "/v1/models", {{"Authorization", Bearer(kKeyA)}});
  ASSERT_TRUE(a.ok) << a.error;
  EXPECT_EQ(a.status(), 200u);
  EXPECT_EQ(a.header("Content-Type"), "application/json");
  EXPECT_EQ(ModelIds(a), (Names{"gpt-4o", "gpt-4o-mini", "text-embedding-3-small"}));

  const HttpReply b = HttpGet(port_, "/v1/models", {{"x-api-key", kKeyB}});
  EXPECT_EQ(b.status(), 200u);
  EXPECT_EQ(ModelIds(b), (Names{"gpt-4o-mini", "text-embedding-3-small"}));

  const HttpReply narrow = HttpGet(port_, "/v1/models", {{"authorization", Bearer(kKeyNarrow)}});
  EXPECT_EQ(narrow.status(), 200u);
  EXPECT_EQ(ModelIds(narrow), (Names{"gpt-4o"}));

  // The query string does not change the route; "bearer" is case-insensitive.
  const HttpReply query =
      HttpGet(port_, "/v1/models?limit=5", {{"Authorization", "bearer " + std::string(kKeyA)}});
  EXPECT_EQ(query.status(), 200u);
}

TEST_F(HttpServerTest, ModelsBeforeAnyConfigIs503) {
  ExpectOpenAiError(HttpGet(port_, "/v1/models", {{"Authorization", Bearer(kKeyA)}}), 503,
                    "api_error", "config_not_loaded");
}

TEST_F(HttpServerTest, ServesConsistentAnswersWhileSnapshotsAreSwapped) {
  auto wide = MakeSnapshot(1);
  AddKey(wide, "key_a", kKeyA, "team-a");
  auto narrow = MakeSnapshot(2);
  AddKey(narrow, "key_a", kKeyA, "team-a", {"gpt-4o"});
  ASSERT_TRUE(applier_.Apply(Serialized(wide)).ok());
  using Names = std::vector<std::string>;
  const Names wide_models = {"gpt-4o", "gpt-4o-mini", "text-embedding-3-small"};
  const Names narrow_models = {"gpt-4o"};

  std::atomic<int> served{0};
  std::atomic<int> wrong{0};
  std::atomic<int> seen_wide{0};
  std::atomic<int> seen_narrow{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&] {
      HttpTestClient client(port_);
      for (int i = 0; i < 200; ++i) {
        const HttpReply reply = client.Get("/v1/models", {{"Authorization", Bearer(kKeyA)}});
        if (!reply.ok || reply.status() != 200) {
          ++wrong;
          return;
        }
        const Names ids = ModelIds(reply);
        if (ids == wide_models) {
          ++seen_wide;
        } else if (ids == narrow_models) {
          ++seen_narrow;
        } else {
          ++wrong;
        }
        ++served;
      }
    });
  }
  // Every version in turn, each published while requests are in flight on two threads.
  const auto log_level = spdlog::get_level();
  spdlog::set_level(spdlog::level::warn);  // One line per apply would drown the test's output.
  for (int64_t version = 3; served.load() < 800 && version < 100000; ++version) {
    auto next = version % 2 == 0 ? narrow : wide;
    next.set_version(version);
    ASSERT_TRUE(applier_.Apply(Serialized(next)).ok());
  }
  spdlog::set_level(log_level);
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(served.load(), 800);
  // The swaps reached the request threads (both lists were served).
  EXPECT_GT(seen_wide.load(), 0);
  EXPECT_GT(seen_narrow.load(), 0);
}

TEST_F(HttpServerTest, UnknownPathIs404AndWrongMethodIs405) {
  ApplyConfig(1);
  ExpectOpenAiError(HttpGet(port_, "/v1/nothing-here"), 404, "invalid_request_error", "not_found");
  // Routing answers before auth: no key needed for the 404.
  ExpectOpenAiError(HttpGet(port_, "/"), 404, "invalid_request_error", "not_found");
  HttpTestClient client(port_);
  ExpectOpenAiError(client.Send(http::verb::delete_, "/v1/models"), 405, "invalid_request_error",
                    "method_not_allowed");
}

TEST_F(HttpServerTest, RequestIdIsEchoedWhenValidAndGeneratedOtherwise) {
  const std::string valid = "client-id_1.2-" + std::string(100, 'x');
  EXPECT_EQ(HttpGet(port_, "/healthz", {{"x-request-id", valid}}).header("x-request-id"), valid);

  const std::regex generated("req_[0-9a-f]{24}");
  for (const std::string& invalid :
       {std::string(129, 'a'), std::string("has space"), std::string("semi;colon")}) {
    const std::string id =
        HttpGet(port_, "/healthz", {{"x-request-id", invalid}}).header("x-request-id");
    EXPECT_TRUE(std::regex_match(id, generated)) << id;
  }
  const std::string first = HttpGet(port_, "/healthz").header("x-request-id");
  const std::string second = HttpGet(port_, "/healthz").header("x-request-id");
  EXPECT_TRUE(std::regex_match(first, generated)) << first;
  EXPECT_NE(first, second);
  // Error responses carry one too.
  EXPECT_EQ(HttpGet(port_, "/nope", {{"x-request-id", "abc"}}).header("x-request-id"), "abc");
}

TEST_F(HttpServerTest, KeepsTheConnectionAliveAcrossRequests) {
  ApplyConfig(1);
  HttpTestClient client(port_);
  for (int i = 0; i < 5; ++i) {
    const HttpReply reply = i % 2 == 0
                                ? client.Get("/v1/models", {{"Authorization", Bearer(kKeyA)}})
                                : client.Get("/v1/does-not-exist");
    ASSERT_TRUE(reply.ok) << "request " << i << ": " << reply.error;
    EXPECT_EQ(reply.status(), i % 2 == 0 ? 200u : 404u);
    EXPECT_EQ(reply.header("Connection"), "");
  }
  // A client asking to close gets its answer, then the server closes.
  const HttpReply last = client.Get("/healthz", {{"Connection", "close"}});
  ASSERT_TRUE(last.ok) << last.error;
  EXPECT_EQ(last.header("Connection"), "close");
  EXPECT_TRUE(client.ServerClosed());
}

TEST_F(HttpServerTest, OversizedBodyIs413OnlyAfterRoutingAndAuth) {
  ApplyConfig(1);
  const std::string big(kBodyLimit + 1, 'x');
  HttpTestClient unknown_path(port_);
  ExpectOpenAiError(unknown_path.Send(http::verb::post, "/v1/nope", {}, big), 404,
                    "invalid_request_error", "not_found");
  HttpTestClient no_key(port_);
  ExpectOpenAiError(no_key.Send(http::verb::get, "/v1/models", {}, big), 401,
                    "authentication_error", "missing_api_key");
  HttpTestClient with_key(port_);
  ExpectOpenAiError(
      with_key.Send(http::verb::get, "/v1/models", {{"Authorization", Bearer(kKeyA)}}, big), 413,
      "invalid_request_error", "request_too_large");
  HttpTestClient small(port_);
  EXPECT_EQ(small
                .Send(http::verb::get, "/v1/models", {{"Authorization", Bearer(kKeyA)}},
                      std::string(kBodyLimit, 'x'))
                .status(),
            200u);
}

TEST_F(HttpServerTest, AnswersExpectContinueBeforeTheBody) {
  ApplyConfig(1);
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port_});
  const std::string body(100, 'x');
  boost::asio::write(
      socket, boost::asio::buffer(
                  std::string("GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ") +
                  kKeyA + "\r\nExpect: 100-continue\r\nContent-Length: 100\r\n\r\n"));
  // The body is sent only after the interim response, as a client that waits for it would.
  boost::beast::flat_buffer buffer;
  http::response<http::empty_body> interim;
  boost::system::error_code error;
  http::read(socket, buffer, interim, error);
  ASSERT_FALSE(error) << error.message();
  EXPECT_EQ(interim.result_int(), 100u);
  boost::asio::write(socket, boost::asio::buffer(body));
  http::response<http::string_body> response;
  http::read(socket, buffer, response, error);
  ASSERT_FALSE(error) << error.message();
  EXPECT_EQ(response.result_int(), 200u);
}

TEST_F(HttpServerTest, MalformedRequestIs400) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port_});
  boost::asio::write(socket, boost::asio::buffer(std::string("NOT HTTP AT ALL\r\n\r\n")));
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> response;
  boost::system::error_code error;
  http::read(socket, buffer, response, error);
  ASSERT_FALSE(error) << error.message();
  EXPECT_EQ(response.result_int(), 400u);
}

TEST_F(HttpServerTest, StopClosesIdleConnectionsPromptly) {
  HttpTestClient idle(port_);
  ASSERT_TRUE(idle.Get("/healthz").ok);
  const absl::Time start = absl::Now();
  server_->Stop(absl::Seconds(10));
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_TRUE(idle.ServerClosed());
  EXPECT_FALSE(HttpGet(port_, "/healthz").ok);  // No longer accepting.
}

// An endpoint that suspends like one waiting on an upstream, to have requests in flight.
class SlowHandler final : public Handler {
 public:
  explicit SlowHandler(std::chrono::milliseconds delay) : delay_(delay) {}
  boost::asio::awaitable<void> Handle(RequestContext& ctx) const override {
    started.store(true);
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, delay_);
    co_await timer.async_wait(boost::asio::use_awaitable);
    ctx.response.body = R"({"slow":true})";
  }
  mutable std::atomic<bool> started{false};

 private:
  std::chrono::milliseconds delay_;
};

class HttpServerDrainTest : public ::testing::Test {
 protected:
  void StartServer(std::chrono::milliseconds handler_delay) {
    handler_ = std::make_shared<SlowHandler>(handler_delay);
    router_.Add(http::verb::get, "/slow",
                std::make_shared<Pipeline>(std::vector<std::shared_ptr<const Stage>>{}, handler_));
    HttpServerOptions options;
    options.listen = "127.0.0.1:0";
    options.threads = 2;
    server_ = std::make_unique<HttpServer>(options, router_, store_);
    ASSERT_TRUE(server_->Start().ok());
  }

  SnapshotStore store_;
  Router router_;
  std::shared_ptr<SlowHandler> handler_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerDrainTest, StopFinishesRequestsInFlight) {
  StartServer(std::chrono::milliseconds(300));
  HttpReply reply;
  std::thread client([&] { reply = HttpGet(server_->port(), "/slow"); });
  ASSERT_TRUE(gw::testing::PollUntil([&] { return handler_->started.load(); }, absl::Seconds(5)));
  const absl::Time start = absl::Now();
  server_->Stop(absl::Seconds(5));
  const absl::Duration took = absl::Now() - start;
  client.join();
  ASSERT_TRUE(reply.ok) << reply.error;
  EXPECT_EQ(reply.status(), 200u);
  EXPECT_EQ(reply.message.body(), R"({"slow":true})");
  EXPECT_EQ(reply.header("Connection"), "close");  // Told not to send another request.
  EXPECT_LT(took, absl::Seconds(4));
}

TEST_F(HttpServerDrainTest, StopGivesUpOnRequestsAtTheDeadline) {
  StartServer(std::chrono::milliseconds(20000));
  HttpReply reply;
  std::thread client([&] { reply = HttpGet(server_->port(), "/slow"); });
  ASSERT_TRUE(gw::testing::PollUntil([&] { return handler_->started.load(); }, absl::Seconds(5)));
  const absl::Time start = absl::Now();
  server_->Stop(absl::Milliseconds(200));
  const absl::Duration took = absl::Now() - start;
  client.join();
  EXPECT_FALSE(reply.ok);
  EXPECT_GE(took, absl::Milliseconds(150));
  EXPECT_LT(took, absl::Seconds(5));
}

TEST(HttpServerIdle, ClosesConnectionsIdlePastTheTimeout) {
  SnapshotStore store;
  auto router = BuildWorkerRouter({});
  HttpServerOptions options;
  options.listen = "127.0.0.1:0";
  options.threads = 1;
  options.limits.idle_timeout = absl::Seconds(1);
  HttpServer server(options, *router, store);
  ASSERT_TRUE(server.Start().ok());
  HttpTestClient idle(server.port());
  ASSERT_TRUE(idle.Get("/healthz").ok);
  const absl::Time start = absl::Now();
  EXPECT_TRUE(idle.ServerClosed());  // Blocks until the server closes (or 10 s pass).
  const absl::Duration waited = absl::Now() - start;
  EXPECT_GE(waited, absl::Milliseconds(900));
  EXPECT_LT(waited, absl::Seconds(4));
  server.Stop(absl::Seconds(1));
}

TEST(HttpServerStart, RefusesAPortAnotherProcessListensOn) {
  SnapshotStore store;
  auto router = BuildWorkerRouter({});
  HttpServerOptions options;
  options.listen = "127.0.0.1:0";
  options.threads = 1;
  HttpServer first(options, *router, store);
  ASSERT_TRUE(first.Start().ok());
  options.listen = first.address();
  HttpServer second(options, *router, store);
  EXPECT_EQ(second.Start().code(), absl::StatusCode::kFailedPrecondition);
  first.Stop(absl::Seconds(1));
}

}  // namespace
}  // namespace gw::dp
