#include "data_plane/upstream/upstream_client.h"

#include <charconv>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/error.hpp"
#include "boost/asio/ssl/error.hpp"
#include "boost/beast/http/error.hpp"

namespace gw::dp {
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

// Small TLS requests go out as one record (one encryption, one syscall); larger ones are written
// piece by piece rather than copied.
constexpr uint64_t kCoalesceLimit = 64 * 1024;

std::chrono::steady_clock::duration ToClock(absl::Duration duration) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      absl::ToChronoNanoseconds(duration));
}

void AppendNumber(uint64_t value, std::string& out) {
  char digits[24];
  const auto [end, error] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

bool IsEndOfStream(const boost::system::error_code& error) {
  // A TLS peer that closes without close_notify yields stream_truncated instead of eof.
  return error == asio::error::eof || error == asio::ssl::error::stream_truncated;
}

}  // namespace

absl::StatusOr<std::unique_ptr<UpstreamClient>> UpstreamClient::Create(
    asio::any_io_executor executor, const UpstreamClientOptions& options) {
  auto tls = MakeTlsClientContext(options.tls);
  if (!tls.ok()) return tls.status();
  return std::unique_ptr<UpstreamClient>(
      new UpstreamClient(std::move(executor), options, *std::move(tls)));
}

UpstreamClient::UpstreamClient(asio::any_io_executor executor, const UpstreamClientOptions& options,
                               std::unique_ptr<asio::ssl::context> tls)
    : executor_(std::move(executor)),
      max_response_body_bytes_(options.max_response_body_bytes),
      tls_(std::move(tls)),
      pool_(options.pool) {}

UpstreamClient::~UpstreamClient() = default;

UpstreamCall::UpstreamCall(UpstreamClient& client) : client_(client) {}

UpstreamCall::~UpstreamCall() { Release(); }

void UpstreamCall::Cancel() {
  cancelled_ = true;
  if (connection_) connection_->Close();
}

UpstreamCall::Clock::time_point UpstreamCall::Capped(Clock::time_point deadline,
                                                     UpstreamTimeout& kind) const {
  if (total_deadline_ && *total_deadline_ <= deadline) {
    kind = UpstreamTimeout::kTotal;
    return *total_deadline_;
  }
  return deadline;
}

absl::Status UpstreamCall::Failure(const boost::system::error_code& error,
                                   absl::string_view doing) const {
  if (cancelled_) return absl::CancelledError("upstream call cancelled");
  const bool expired = connection_ && connection_->expired();
  if (error == asio::error::operation_aborted && !expired) {
    // Only Cancel() and the watchdog close our sockets; anything else aborting an operation is
    // the caller's own cancellation (an asio cancellation slot, e.g. awaitable operators).
    return absl::CancelledError("upstream call cancelled");
  }
  const absl::string_view origin =
      endpoint_ != nullptr ? absl::string_view(endpoint_->pool_key) : absl::string_view();
  if (connection_ && connection_->expired()) {
    switch (*connection_->expired()) {
      case UpstreamTimeout::kConnect:
        return MakeUpstreamTimeoutError(
            UpstreamTimeout::kConnect,
            absl::StrCat("upstream ", origin, ": not connected within ",
                         absl::FormatDuration(timeouts_.connect), " (connect timeout)"));
      case UpstreamTimeout::kFirstByte:
        return MakeUpstreamTimeoutError(
            UpstreamTimeout::kFirstByte,
            absl::StrCat("upstream ", origin, ": no response within ",
                         absl::FormatDuration(timeouts_.first_byte), " (first byte timeout)"));
      case UpstreamTimeout::kIdle:
        return MakeUpstreamTimeoutError(
            UpstreamTimeout::kIdle,
            absl::StrCat("upstream ", origin, ": the response stalled for ",
                         absl::FormatDuration(timeouts_.idle), " (idle timeout)"));
      case UpstreamTimeout::kTotal:
        return MakeUpstreamTimeoutError(
            UpstreamTimeout::kTotal,
            absl::StrCat("upstream ", origin, ": the call took longer than ",
                         absl::FormatDuration(timeouts_.total), " (total timeout)"));
    }
  }
  if (error == http::error::body_limit) {
    return absl::ResourceExhaustedError(absl::StrCat("upstream ", origin,
                                                     ": the response body exceeds ",
                                                     client_.max_response_body_bytes_, " bytes"));
  }
  if (error.category() == http::make_error_code(http::error::bad_version).category()) {
    return absl::UnavailableError(
        absl::StrCat("upstream ", origin, ": malformed HTTP response (", error.message(), ")"));
  }
  return absl::UnavailableError(
      absl::StrCat("upstream ", origin, ": ", doing, ": ", error.message()));
}

asio::awaitable<absl::Status> UpstreamCall::ConnectFresh() {
  UpstreamTimeout kind = UpstreamTimeout::kConnect;
  const Clock::time_point deadline = Capped(Clock::now() + ToClock(timeouts_.connect), kind);
  connection_ = std::make_shared<UpstreamConnection>(client_.executor_);
  connection_->SetDeadline(deadline, kind);

  ConnectionPool& pool = client_.pool_;
  asio::ip::tcp::resolver::results_type addresses;
  if (const auto* cached = pool.FreshAddresses(*origin_)) {
    addresses = *cached;
  } else {
    const boost::system::error_code error = co_await connection_->Resolve(*endpoint_, addresses);
    if (error) co_return Failure(error, "resolving the host");
    pool.CacheAddresses(*origin_, addresses);
  }
  if (cancelled_) co_return Failure({}, "");

  boost::system::error_code error = co_await connection_->Connect(addresses);
  if (error) co_return Failure(error, "connecting");
  ++client_.connections_opened_;
  if (endpoint_->tls) {
    error = co_await connection_->Handshake(*endpoint_, *client_.tls_, &origin_->tls_sessions);
    if (error) {
      const absl::string_view refused = connection_->TlsVerifyError();
      co_return Failure(error,
                        refused.empty()
                            ? std::string("TLS handshake")
                            : absl::StrCat("TLS handshake: certificate refused (", refused, ")"));
    }
    if (connection_->tls_resumed()) ++client_.tls_resumptions_;
  }
  co_return absl::OkStatus();
}

void UpstreamCall::WriteHead(const UpstreamRequest& request, uint64_t content_length) {
  std::string& head = connection_->write_buffer();
  head.clear();
  head.append(request.method.data(), request.method.size());
  head.push_back(' ');
  head.append(request.path.data(), request.path.size());
  head.append(" HTTP/1.1\r\nHost: ");
  head.append(endpoint_->host_header);
  head.append("\r\n");
  if (content_length > 0 || request.method != "GET") {
    head.append("Content-Length: ");
    AppendNumber(content_length, head);
    head.append("\r\n");
  }
  for (const UpstreamHeader& header : request.headers) {
    head.append(header.name.data(), header.name.size());
    head.append(": ");
    head.append(header.value.data(), header.value.size());
    head.append("\r\n");
  }
  head.append("\r\n");
}

asio::awaitable<absl::StatusOr<ResponseHead>> UpstreamCall::Send(const UpstreamRequest& request) {
  if (sent_) co_return absl::FailedPreconditionError("UpstreamCall::Send called twice");
  sent_ = true;
  if (cancelled_) co_return absl::CancelledError("upstream call cancelled");
  if (request.endpoint == nullptr) co_return absl::InvalidArgumentError("no upstream endpoint");
  endpoint_ = request.endpoint;
  timeouts_ = request.timeouts;
  if (!request.streaming) total_deadline_ = Clock::now() + ToClock(timeouts_.total);
  origin_ = &client_.pool_.FindOrAdd(*endpoint_);
  connection_ = client_.pool_.Checkout(*origin_);
  reused_connection_ = connection_ != nullptr;

  uint64_t content_length = 0;
  for (const absl::string_view piece : request.body) content_length += piece.size();

  absl::InlinedVector<asio::const_buffer, 8> buffers;
  for (int attempt = 0;; ++attempt) {
    if (!connection_) {
      const absl::Status connected = co_await ConnectFresh();
      if (!connected.ok()) co_return connected;
    }
    ++connection_->requests_started;
    WriteHead(request, content_length);
    std::string& head = connection_->write_buffer();
    buffers.clear();
    if (connection_->tls() && content_length <= kCoalesceLimit) {
      for (const absl::string_view piece : request.body) head.append(piece.data(), piece.size());
      buffers.push_back(asio::buffer(head));
    } else {
      buffers.push_back(asio::buffer(head));
      for (const absl::string_view piece : request.body) {
        if (!piece.empty()) buffers.push_back(asio::buffer(piece.data(), piece.size()));
      }
    }
    UpstreamTimeout kind = UpstreamTimeout::kFirstByte;
    connection_->SetDeadline(Capped(Clock::now() + ToClock(timeouts_.first_byte), kind), kind);
    const boost::system::error_code error = co_await connection_->Write(buffers);
    if (!error) break;
    // A failed write means the server had closed the connection: none of the request can have
    // been processed, so one retry on a fresh connection is safe even for a POST.
    if (reused_connection_ && attempt == 0 && !cancelled_ && !connection_->expired()) {
      connection_->Close();
      connection_.reset();
      reused_connection_ = false;
      continue;
    }
    const absl::Status failed = Failure(error, "sending the request");
    connection_->Close();
    co_return failed;
  }

  UpstreamTimeout kind = UpstreamTimeout::kFirstByte;
  first_byte_deadline_ = Capped(Clock::now() + ToClock(timeouts_.first_byte), kind);
  connection_->SetDeadline(first_byte_deadline_, kind);
  while (true) {
    parser_.emplace(connection_->headers(), client_.max_response_body_bytes_);
    if (request.method == "HEAD") parser_->skip(true);  // Its Content-Length has no body.
    const absl::Status read = co_await ReadUntil(/*want_head=*/true, nullptr, false);
    if (!read.ok()) {
      connection_->Close();
      co_return read;
    }
    const int status = connection_->headers().status();
    // Interim responses (100 Continue, 103 Early Hints) precede the real one.
    if (status >= 200 || status == 101) break;
  }
  parser_->eager(true);
  body_complete_ = parser_->is_done();
  co_return ResponseHead{connection_->headers().status(), &connection_->headers()};
}

asio::awaitable<absl::Status> UpstreamCall::ReadUntil(bool want_head, std::string* sink,
                                                      bool whole_body) {
  boost::beast::flat_buffer& buffer = connection_->read_buffer();
  parser_->set_body_sink(sink, whole_body);
  const uint64_t body_before = parser_->body_bytes();
  const auto satisfied = [&] {
    if (want_head) return parser_->is_header_done();
    return parser_->is_done() || (!whole_body && parser_->body_bytes() > body_before);
  };
  while (true) {
    if (cancelled_) co_return Failure({}, "");
    if (buffer.size() > 0 && !parser_->is_done()) {
      boost::system::error_code error;
      const size_t used = parser_->put(buffer.data(), error);
      buffer.consume(used);
      if (error && error != http::error::need_more) {
        co_return Failure(error, "parsing the response");
      }
      if (parser_->body_bytes() > 0) got_body_byte_ = true;
      if (satisfied()) co_return absl::OkStatus();
      if (!error && used > 0) continue;
    } else if (satisfied()) {
      co_return absl::OkStatus();
    }
    if (!want_head) {
      UpstreamTimeout kind = got_body_byte_ ? UpstreamTimeout::kIdle : UpstreamTimeout::kFirstByte;
      const Clock::time_point deadline = got_body_byte_
                                             ? Capped(Clock::now() + ToClock(timeouts_.idle), kind)
                                             : Capped(first_byte_deadline_, kind);
      connection_->SetDeadline(deadline, kind);
    }
    const boost::system::error_code error = co_await connection_->ReadSome();
    if (!error) continue;
    if (IsEndOfStream(error) && !cancelled_ && !connection_->expired()) {
      if (!parser_->got_some()) {
        co_return absl::UnavailableError(absl::StrCat(
            "upstream ", endpoint_->pool_key, ": the connection closed before any response"));
      }
      boost::system::error_code eof_error;
      parser_->put_eof(eof_error);
      if (eof_error) {
        co_return absl::UnavailableError(
            absl::StrCat("upstream ", endpoint_->pool_key, ": the connection closed mid-response"));
      }
      if (satisfied()) co_return absl::OkStatus();
      co_return absl::UnavailableError(
          absl::StrCat("upstream ", endpoint_->pool_key, ": the connection closed mid-response"));
    }
    co_return Failure(error, want_head ? "waiting for the response" : "reading the response");
  }
}

asio::awaitable<absl::StatusOr<absl::string_view>> UpstreamCall::ReadBody() {
  if (cancelled_) co_return absl::CancelledError("upstream call cancelled");
  if (!connection_ || !parser_ || !parser_->is_header_done()) {
    co_return absl::FailedPreconditionError("ReadBody needs a successful Send");
  }
  if (body_complete_) {
    Release();
    co_return absl::string_view();
  }
  std::string& chunk = connection_->body_chunk();
  chunk.clear();
  const absl::Status read = co_await ReadUntil(/*want_head=*/false, &chunk, false);
  if (!read.ok()) {
    connection_->Close();
    co_return read;
  }
  body_complete_ = parser_->is_done();
  if (chunk.empty()) {
    Release();
    co_return absl::string_view();
  }
  co_return absl::string_view(chunk);
}

asio::awaitable<absl::Status> UpstreamCall::ReadAll(std::string& out) {
  if (cancelled_) co_return absl::CancelledError("upstream call cancelled");
  if (!connection_ || !parser_ || !parser_->is_header_done()) {
    co_return absl::FailedPreconditionError("ReadAll needs a successful Send");
  }
  if (!body_complete_) {
    const absl::Status read = co_await ReadUntil(/*want_head=*/false, &out, true);
    if (!read.ok()) {
      connection_->Close();
      co_return read;
    }
    body_complete_ = true;
  }
  Release();
  co_return absl::OkStatus();
}

void UpstreamCall::Release() {
  if (!connection_) return;
  const bool reusable = body_complete_ && !cancelled_ && parser_ && parser_->is_done() &&
                        parser_->keep_alive() && connection_->is_open() &&
                        !connection_->expired() && connection_->read_buffer().size() == 0;
  if (reusable) {
    client_.pool_.Checkin(*origin_, std::move(connection_));
  } else {
    connection_->Close();
  }
  connection_.reset();
}

}  // namespace gw::dp
