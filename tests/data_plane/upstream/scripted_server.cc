#include "tests/data_plane/upstream/scripted_server.h"

#include <charconv>
#include <chrono>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "boost/asio/as_tuple.hpp"
#include "boost/asio/co_spawn.hpp"
#include "boost/asio/detached.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/use_awaitable.hpp"
#include "boost/asio/write.hpp"

namespace gw::testing {
namespace asio = boost::asio;
using asio::ip::tcp;
namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

size_t ContentLength(absl::string_view head) {
  for (absl::string_view line : absl::StrSplit(head, "\r\n")) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    if (!absl::EqualsIgnoreCase(line.substr(0, colon), "content-length")) continue;
    size_t length = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(colon + 1)), &length)) {
      return length;
    }
  }
  return 0;
}

}  // namespace

ScriptedConnection::ScriptedConnection(ScriptedServer& server, tcp::socket socket,
                                       asio::ssl::context* tls)
    : server_(server), socket_(std::move(socket)) {
  if (tls != nullptr) tls_.emplace(socket_, *tls);
}

asio::awaitable<bool> ScriptedConnection::Handshake() {
  if (!tls_) co_return true;
  const auto [error] = co_await tls_->async_handshake(asio::ssl::stream_base::server, kNoThrow);
  co_return !error;
}

asio::awaitable<bool> ScriptedConnection::ReadMore() {
  char data[16 * 1024];
  boost::system::error_code error;
  size_t read = 0;
  if (tls_) {
    std::tie(error, read) = co_await tls_->async_read_some(asio::buffer(data), kNoThrow);
  } else {
    std::tie(error, read) = co_await socket_.async_read_some(asio::buffer(data), kNoThrow);
  }
  buffer_.append(data, read);
  co_return !error;
}

asio::awaitable<std::optional<std::string>> ScriptedConnection::ReadRequest() {
  size_t head_end;
  while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!co_await ReadMore()) co_return std::nullopt;
  }
  const size_t total = head_end + 4 + ContentLength(absl::string_view(buffer_).substr(0, head_end));
  while (buffer_.size() < total) {
    if (!co_await ReadMore()) co_return std::nullopt;
  }
  std::string request = buffer_.substr(0, total);
  buffer_.erase(0, total);
  co_return request;
}

asio::awaitable<bool> ScriptedConnection::Write(absl::string_view bytes) {
  const auto buffer = asio::buffer(bytes.data(), bytes.size());
  if (tls_) {
    const auto [error, written] = co_await asio::async_write(*tls_, buffer, kNoThrow);
    co_return !error;
  }
  const auto [error, written] = co_await asio::async_write(socket_, buffer, kNoThrow);
  co_return !error;
}

asio::awaitable<bool> ScriptedConnection::WaitForClientClose(absl::Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
  asio::steady_timer timer(socket_.get_executor());
  timer.expires_at(deadline);
  bool closed = false;
  timer.async_wait([&](const boost::system::error_code& error) {
    if (!error) socket_.cancel();
  });
  while (true) {
    char data[4096];
    const auto [error, read] = co_await socket_.async_read_some(asio::buffer(data), kNoThrow);
    if (error) {
      closed = error != asio::error::operation_aborted;
      break;
    }
  }
  timer.cancel();
  co_return closed;
}

asio::awaitable<void> ScriptedConnection::Sleep(absl::Duration duration) {
  asio::steady_timer timer(socket_.get_executor());
  timer.expires_after(absl::ToChronoNanoseconds(duration));
  co_await timer.async_wait(kNoThrow);
}

asio::awaitable<bool> ScriptedConnection::WaitFor(const std::atomic<bool>& flag,
                                                  absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!flag.load()) {
    if (absl::Now() > deadline) co_return false;
    co_await Sleep(absl::Milliseconds(2));
  }
  co_return true;
}

void ScriptedConnection::Reset() {
  boost::system::error_code ignored;
  socket_.set_option(asio::socket_base::linger(true, 0), ignored);
  socket_.close(ignored);
}

void ScriptedConnection::Close() {
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

ScriptedServer::ScriptedServer(Script script, std::unique_ptr<asio::ssl::context> tls)
    : script_(std::move(script)), tls_(std::move(tls)), acceptor_(io_) {
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  asio::co_spawn(io_, AcceptLoop(), asio::detached);
  thread_ = std::thread([this] { io_.run(); });
}

ScriptedServer::~ScriptedServer() {
  io_.stop();
  thread_.join();
}

std::vector<std::string> ScriptedServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void ScriptedServer::RecordRequest(std::string request) {
  std::lock_guard lock(mutex_);
  requests_.push_back(std::move(request));
}

asio::awaitable<void> ScriptedServer::AcceptLoop() {
  while (true) {
    auto [error, socket] = co_await acceptor_.async_accept(kNoThrow);
    if (error) co_return;
    ++accepted_;
    auto serve = [](ScriptedServer* server, tcp::socket s) -> asio::awaitable<void> {
      ScriptedConnection connection(*server, std::move(s), server->tls_.get());
      if (!co_await connection.Handshake()) co_return;
      co_await server->script_(connection);
    };
    asio::co_spawn(io_, serve(this, std::move(socket)), asio::detached);
  }
}

std::string OkResponse(absl::string_view body, absl::string_view extra_headers) {
  return absl::StrCat("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ",
                      body.size(), "\r\n", extra_headers, "\r\n", body);
}

std::string Chunk(absl::string_view data) {
  return absl::StrCat(absl::StrFormat("%x", data.size()), "\r\n", data, "\r\n");
}

}  // namespace gw::testing
