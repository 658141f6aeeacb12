// HTTP/1.1 calls to upstream providers on C++20 coroutines, on the calling thread's io_context:
// one UpstreamClient per worker thread (its pool and TLS context are that thread's, no locks).
// An UpstreamCall is one request/response exchange; it borrows a pooled keep-alive connection
// (or opens one) and gives it back only after a complete, clean response.
//
// Buffered:
//   UpstreamCall call(client);
//   absl::StatusOr<ResponseHead> head = co_await call.Send(request);
//   if (!head.ok()) ...;                        // UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED
//   absl::Status read = co_await call.ReadAll(body);    // appends the whole body
// Streaming (request.streaming = true):
//   while (true) {
//     absl::StatusOr<absl::string_view> chunk = co_await call.ReadBody();
//     if (!chunk.ok()) ...;  if (chunk->empty()) break;   // empty: the body is complete
//     ...   // *chunk stays valid until the next ReadBody
//   }
// Cancellation, e.g. when the client hangs up (same thread): call.Cancel() closes the upstream
// socket; the pending Send/ReadBody completes with CANCELLED at once.
//
// Statuses: UNAVAILABLE for connection failures, resets, TLS failures (untrusted certificate,
// wrong host name), malformed responses and a response that ends early; DEADLINE_EXCEEDED for
// each timeout (UpstreamTimeoutOf tells which); RESOURCE_EXHAUSTED for a response body over the
// limit; CANCELLED after Cancel(). Messages name the upstream origin and never carry headers.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "boost/asio/any_io_executor.hpp"
#include "boost/asio/awaitable.hpp"
#include "boost/asio/ssl/context.hpp"
#include "data_plane/upstream/connection_pool.h"
#include "data_plane/upstream/response_parser.h"
#include "data_plane/upstream/tls_client_context.h"
#include "data_plane/upstream/upstream_endpoint.h"
#include "data_plane/upstream/upstream_timeouts.h"

namespace gw::dp {

struct UpstreamClientOptions {
  TlsClientOptions tls;
  ConnectionPoolOptions pool;
  uint64_t max_response_body_bytes = 32 * 1024 * 1024;
};

class UpstreamClient {
 public:
  // INVALID_ARGUMENT when the extra CA file cannot be loaded.
  static absl::StatusOr<std::unique_ptr<UpstreamClient>> Create(
      boost::asio::any_io_executor executor, const UpstreamClientOptions& options);
  ~UpstreamClient();
  UpstreamClient(const UpstreamClient&) = delete;
  UpstreamClient& operator=(const UpstreamClient&) = delete;

  const boost::asio::any_io_executor& executor() const { return executor_; }
  ConnectionPool& pool() { return pool_; }
  // Connections this client opened so far (TCP connects that succeeded).
  uint64_t connections_opened() const { return connections_opened_; }
  // TLS handshakes that resumed an earlier session of the same origin.
  uint64_t tls_resumptions() const { return tls_resumptions_; }

 private:
  friend class UpstreamCall;
  UpstreamClient(boost::asio::any_io_executor executor, const UpstreamClientOptions& options,
                 std::unique_ptr<boost::asio::ssl::context> tls);

  boost::asio::any_io_executor executor_;
  uint64_t max_response_body_bytes_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  ConnectionPool pool_;
  uint64_t connections_opened_ = 0;
  uint64_t tls_resumptions_ = 0;
};

struct UpstreamHeader {
  absl::string_view name;
  absl::string_view value;  // Callers guarantee no CR or LF (header injection).
};

struct UpstreamRequest {
  const UpstreamEndpoint* endpoint = nullptr;  // Must outlive the call.
  absl::string_view method = "POST";
  absl::string_view path;  // Origin form: "/v1/chat/completions".
  // Everything but Host and Content-Length, which the client writes itself.
  absl::Span<const UpstreamHeader> headers;
  // The body as pieces sent back to back (a spliced body needs no contiguous copy). Must stay
  // valid until Send completes.
  absl::Span<const absl::string_view> body;
  bool streaming = false;  // Streams have no total timeout.
  UpstreamTimeouts timeouts;
};

// The status line and header fields; valid until the call is destroyed.
struct ResponseHead {
  int status = 0;
  const ResponseHeaders* headers = nullptr;
};

class UpstreamCall {
 public:
  // `client` must outlive the call.
  explicit UpstreamCall(UpstreamClient& client);
  ~UpstreamCall();  // Returns the connection to the pool if its response was read completely.
  UpstreamCall(const UpstreamCall&) = delete;
  UpstreamCall& operator=(const UpstreamCall&) = delete;

  // Sends the request and reads the response head. A pooled connection the server had already
  // closed is replaced, and a write that fails on a reused connection (the server cannot have
  // processed any of it) is retried once on a fresh one. Call once per UpstreamCall.
  boost::asio::awaitable<absl::StatusOr<ResponseHead>> Send(const UpstreamRequest& request);

  // The next piece of the body as soon as any arrives (chunked and Content-Length bodies alike);
  // an empty view once the body is complete. The view is valid until the next call.
  boost::asio::awaitable<absl::StatusOr<absl::string_view>> ReadBody();

  // Appends the rest of the body to `out`.
  boost::asio::awaitable<absl::Status> ReadAll(std::string& out);

  // Closes the upstream connection; the pending and later operations return CANCELLED. Safe to
  // call at any time from the call's thread, also before Send and after the end.
  void Cancel();

  bool body_complete() const { return body_complete_; }
  // Whether the connection used was taken from the pool (for tests and metrics).
  bool reused_connection() const { return reused_connection_; }

 private:
  using Clock = UpstreamConnection::Clock;

  boost::asio::awaitable<absl::Status> ConnectFresh();
  boost::asio::awaitable<absl::Status> ReadUntil(bool want_head, std::string* sink,
                                                 bool whole_body);
  void WriteHead(const UpstreamRequest& request, uint64_t content_length);
  Clock::time_point Capped(Clock::time_point deadline, UpstreamTimeout& kind) const;
  absl::Status Failure(const boost::system::error_code& error, absl::string_view doing) const;
  void Release();

  UpstreamClient& client_;
  const UpstreamEndpoint* endpoint_ = nullptr;
  ConnectionPool::Origin* origin_ = nullptr;
  std::shared_ptr<UpstreamConnection> connection_;
  std::optional<ResponseParser> parser_;
  UpstreamTimeouts timeouts_;
  std::optional<Clock::time_point> total_deadline_;
  Clock::time_point first_byte_deadline_ = {};
  bool got_body_byte_ = false;
  bool body_complete_ = false;
  bool cancelled_ = false;
  bool reused_connection_ = false;
  bool sent_ = false;
};

}  // namespace gw::dp
