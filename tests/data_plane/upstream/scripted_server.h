// A loopback HTTP server for upstream-client tests whose every connection runs a scripted
// coroutine: read a request, write bytes, stall, reset, wait for the client to hang up. Runs on
// its own thread; plain TCP or TLS. Counts connections and records requests.
//   ScriptedServer server([](ScriptedConnection& c) -> boost::asio::awaitable<void> {
//     while (auto request = co_await c.ReadRequest()) co_await c.Write(OkResponse("{}"));
//   });
//   ... server.port(), server.accepted(), server.requests()
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "boost/asio/awaitable.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ssl/context.hpp"
#include "boost/asio/ssl/stream.hpp"

namespace gw::testing {

class ScriptedServer;

class ScriptedConnection {
 public:
  ScriptedConnection(ScriptedServer& server, boost::asio::ip::tcp::socket socket,
                     boost::asio::ssl::context* tls);

  ScriptedServer& server() { return server_; }

  boost::asio::awaitable<bool> Handshake();
  // The next request (head and Content-Length body) as raw text; nullopt when the client closed.
  boost::asio::awaitable<std::optional<std::string>> ReadRequest();
  boost::asio::awaitable<bool> Write(absl::string_view bytes);
  // Reads until the client closes; true when it did within `timeout`.
  boost::asio::awaitable<bool> WaitForClientClose(absl::Duration timeout);
  boost::asio::awaitable<void> Sleep(absl::Duration duration);
  // Waits until `flag` is set (polling) or `timeout` passes; true when set.
  boost::asio::awaitable<bool> WaitFor(const std::atomic<bool>& flag, absl::Duration timeout);
  // Closes with a TCP reset (SO_LINGER 0).
  void Reset();
  void Close();

 private:
  boost::asio::awaitable<bool> ReadMore();

  ScriptedServer& server_;
  boost::asio::ip::tcp::socket socket_;
  std::optional<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
  std::string buffer_;
};

class ScriptedServer {
 public:
  using Script = std::function<boost::asio::awaitable<void>(ScriptedConnection&)>;

  // `tls` (optional) is used by the server thread only.
  explicit ScriptedServer(Script script, std::unique_ptr<boost::asio::ssl::context> tls = nullptr);
  ~ScriptedServer();

  uint16_t port() const { return port_; }
  int accepted() const { return accepted_.load(); }
  std::vector<std::string> requests() const;

  // For scripts.
  void RecordRequest(std::string request);

 private:
  boost::asio::awaitable<void> AcceptLoop();

  Script script_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<int> accepted_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

// "HTTP/1.1 200 OK" with Content-Length and the given body and extra header lines.
std::string OkResponse(absl::string_view body, absl::string_view extra_headers = "");
// One chunk of a chunked body ("" gives the last chunk).
std::string Chunk(absl::string_view data);

}  // namespace gw::testing
