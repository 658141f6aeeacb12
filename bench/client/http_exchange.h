// One HTTP/1.1 request/response exchange on a kept-alive loopback connection, shared by the
// open-loop and streaming generators: the request is prebuilt bytes, the body arrives in pieces
// with the time each piece was read.
//   auto status = co_await Exchange(conn, request, [&](absl::string_view piece, Clock::time_point
//   t) {...});
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "bench/client/response_reader.h"
#include "boost/asio/as_tuple.hpp"
#include "boost/asio/awaitable.hpp"
#include "boost/asio/buffer.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/use_awaitable.hpp"
#include "boost/asio/write.hpp"

namespace gw::bench {

using Clock = std::chrono::steady_clock;

// What every generator sends: one POST with a JSON body and extra headers ("name: value").
struct RequestSpec {
  boost::asio::ip::tcp::endpoint endpoint;
  std::string path = "/v1/chat/completions";
  std::vector<std::string> headers;
  std::string body;
};

// The request's bytes, built once per run.
inline std::string BuildRequest(const RequestSpec& spec) {
  std::string request =
      absl::StrCat("POST ", spec.path, " HTTP/1.1\r\nHost: ", spec.endpoint.address().to_string(),
                   ":", spec.endpoint.port(), "\r\nContent-Type: application/json\r\n",
                   "Content-Length: ", spec.body.size(), "\r\n");
  for (const std::string& header : spec.headers) absl::StrAppend(&request, header, "\r\n");
  absl::StrAppend(&request, "\r\n", spec.body);
  return request;
}

// A client connection that reconnects lazily (after an error or a `Connection: close`).
struct BenchConnection {
  explicit BenchConnection(boost::asio::any_io_executor executor) : socket(executor) {}
  boost::asio::ip::tcp::socket socket;
  ResponseReader reader;
  std::string read_buffer = std::string(64 * 1024, '\0');
  std::string body;
};

// Sends `request` and reads one response, calling on_piece(decoded body bytes, read time) after
// every read that decoded body bytes. Returns the HTTP status, or the error that broke the
// exchange (the connection is then closed, to be reopened by the next exchange).
template <typename OnPiece>
boost::asio::awaitable<absl::StatusOr<int>> Exchange(BenchConnection& conn,
                                                     const boost::asio::ip::tcp::endpoint& endpoint,
                                                     absl::string_view request, OnPiece on_piece) {
  namespace asio = boost::asio;
  constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
  auto fail = [&conn](absl::string_view what, const boost::system::error_code& ec) {
    boost::system::error_code ignored;
    conn.socket.close(ignored);
    return absl::UnavailableError(absl::StrCat(what, ": ", ec.message()));
  };
  if (!conn.socket.is_open()) {
    auto [ec] = co_await conn.socket.async_connect(endpoint, kNoThrow);
    if (ec) co_return fail("connect", ec);
    conn.socket.set_option(asio::ip::tcp::no_delay(true), ec);
  }
  {
    auto [ec, written] = co_await asio::async_write(
        conn.socket, asio::buffer(request.data(), request.size()), kNoThrow);
    if (ec) co_return fail("write", ec);
  }
  conn.reader.Reset();
  while (!conn.reader.complete()) {
    auto [ec, n] = co_await conn.socket.async_read_some(asio::buffer(conn.read_buffer), kNoThrow);
    if (ec) co_return fail("read", ec);
    const Clock::time_point now = Clock::now();
    conn.body.clear();
    if (absl::Status s =
            conn.reader.Feed(absl::string_view(conn.read_buffer.data(), n), &conn.body);
        !s.ok()) {
      boost::system::error_code ignored;
      conn.socket.close(ignored);
      co_return s;
    }
    if (!conn.body.empty()) on_piece(absl::string_view(conn.body), now);
  }
  if (conn.reader.connection_close()) {
    boost::system::error_code ignored;
    conn.socket.close(ignored);
  }
  co_return conn.reader.status();
}

}  // namespace gw::bench
