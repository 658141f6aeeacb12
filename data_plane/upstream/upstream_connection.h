// One connection to an upstream (plain TCP or TLS over it) with the buffers it reuses for every
// request it carries, and a watchdog that enforces the current deadline by closing the socket.
// UpstreamCall drives it; ConnectionPool keeps it between requests. Not thread-safe: it lives on
// the io_context thread that created it.
//   auto conn = std::make_shared<UpstreamConnection>(executor);
//   conn->SetDeadline(Clock::now() + 10s, UpstreamTimeout::kConnect);
//   error_code ec = co_await conn->Connect(addresses);
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "boost/asio/any_io_executor.hpp"
#include "boost/asio/awaitable.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ssl/context.hpp"
#include "boost/asio/ssl/stream.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "data_plane/upstream/response_parser.h"
#include "data_plane/upstream/tls_client_context.h"
#include "data_plane/upstream/upstream_endpoint.h"
#include "data_plane/upstream/upstream_timeouts.h"

namespace gw::dp {

class UpstreamConnection : public std::enable_shared_from_this<UpstreamConnection> {
 public:
  using Clock = std::chrono::steady_clock;

  explicit UpstreamConnection(const boost::asio::any_io_executor& executor);
  ~UpstreamConnection();
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;

  // The endpoint's addresses: IP literals without a lookup, names through DNS.
  boost::asio::awaitable<boost::system::error_code> Resolve(
      const UpstreamEndpoint& endpoint, boost::asio::ip::tcp::resolver::results_type& addresses);

  // TCP connect to the first reachable address.
  boost::asio::awaitable<boost::system::error_code> Connect(
      const boost::asio::ip::tcp::resolver::results_type& addresses);

  // The TLS handshake, with SNI and host-name (or IP) verification against endpoint.host.
  // `sessions` (optional) offers a session to resume and keeps the ones the server issues.
  boost::asio::awaitable<boost::system::error_code> Handshake(
      const UpstreamEndpoint& endpoint, boost::asio::ssl::context& tls_context,
      TlsSessionCache* sessions);
  // Whether the handshake resumed a session.
  bool tls_resumed();

  // Writes `buffers` back to back, fully. They must stay valid until the write completes.
  boost::asio::awaitable<boost::system::error_code> Write(
      absl::Span<const boost::asio::const_buffer> buffers);

  // Reads what is available (at least one byte) into read_buffer().
  boost::asio::awaitable<boost::system::error_code> ReadSome();

  // The deadline the pending and following operations must finish by. On expiry the socket is
  // closed and expired() names the timeout.
  void SetDeadline(Clock::time_point deadline, UpstreamTimeout kind);
  // No deadline. A pending watchdog stays (reuse usually wants it again) and then stops by itself.
  void ClearDeadline();
  std::optional<UpstreamTimeout> expired() const { return expired_; }

  // Closes the socket (idempotent): every pending operation completes with an error at once.
  void Close();
  bool is_open() const { return socket_.is_open(); }
  // Whether an idle connection still looks usable: open, and the peer has neither closed it
  // nor sent anything unasked (non-blocking peek, no read).
  bool LooksAlive();

  // Why the peer's certificate was refused ("certificate has expired", "hostname mismatch");
  // empty when it was not.
  absl::string_view TlsVerifyError();

  boost::beast::flat_buffer& read_buffer() { return read_buffer_; }
  std::string& write_buffer() { return write_buffer_; }
  std::string& body_chunk() { return body_chunk_; }
  ResponseHeaders& headers() { return headers_; }
  bool tls() const { return tls_.has_value(); }

  Clock::time_point idle_since = {};  // Set by the pool on check-in.
  uint64_t requests_started = 0;      // Counted by UpstreamCall.

 private:
  void ArmWatchdog(Clock::time_point at);
  void OnWatchdog(const boost::system::error_code& error);

  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::ip::tcp::socket socket_;
  std::optional<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
  boost::beast::flat_buffer read_buffer_;
  std::string write_buffer_;
  std::string body_chunk_;
  ResponseHeaders headers_;

  boost::asio::steady_timer watchdog_;
  std::optional<Clock::time_point> watchdog_at_;  // When the pending wait fires, if any.
  std::optional<Clock::time_point> deadline_;
  UpstreamTimeout deadline_kind_ = UpstreamTimeout::kTotal;
  std::optional<UpstreamTimeout> expired_;
};

}  // namespace gw::dp
