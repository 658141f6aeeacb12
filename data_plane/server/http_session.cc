#include "data_plane/server/http_session.h"

#include <array>
#include <charconv>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "absl/time/clock.h"
#include "boost/asio/as_tuple.hpp"
#include "boost/asio/error.hpp"
#include "boost/asio/use_awaitable.hpp"
#include "boost/asio/write.hpp"
#include "boost/beast/core/string.hpp"
#include "boost/beast/http/error.hpp"
#include "boost/beast/http/read.hpp"
#include "boost/beast/http/status.hpp"
#include "data_plane/http/openai_error.h"

namespace gw::dp {
namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace {

// Errors as values: a client hanging up is routine, not exceptional.
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// What one read of a request may take: a typical chat request whole. Pages are touched only as
// bytes arrive, so idle connections cost little more than before.
constexpr size_t kRequestReadBytes = 16 * 1024;
// A request body's storage is kept for the next request up to this size, so that a connection
// that once sent a large body does not hold on to it.
constexpr size_t kKeptBodyBytes = 64 * 1024;

// Parse errors that deserve a 400 rather than a silent close.
bool IsMalformedRequest(const boost::system::error_code& ec) {
  if (ec.category() != http::make_error_code(http::error::bad_method).category()) return false;
  return ec != http::error::end_of_stream && ec != http::error::partial_message &&
         ec != http::error::need_more && ec != http::error::body_limit;
}

void AppendNumber(uint64_t value, std::string& out) {
  char digits[24];
  const auto [end, error] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

}  // namespace

HttpSession::HttpSession(SessionEnv& env, asio::ip::tcp::socket socket)
    : env_(env), socket_(std::move(socket)) {
  // Beast's reads offer max(512, free capacity) and the request parser consumes all it is
  // given, so an empty buffer would stay at 512 bytes and read a 1 KB request in three calls.
  buffer_.reserve(kRequestReadBytes);
  env_.sessions.push_back(*this);
  ctx_.client_stream = this;
}

bool HttpSession::Idle() const {
  return reading_ && buffer_.size() == 0 && (!parser_ || !parser_->got_some());
}

void HttpSession::CloseWhenIdle() {
  if (Idle()) CloseNow();
}

void HttpSession::CloseNow() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void HttpSession::CloseIfExpired(std::chrono::steady_clock::time_point now) {
  if (now >= expires_at_) CloseNow();
}

void HttpSession::ArmIdleDeadline(absl::Duration timeout) {
  expires_at_ = env_.coarse_now + absl::ToChronoNanoseconds(timeout);
}

void HttpSession::AssignRequestId() {
  const HttpRequest& request = parser_->get();
  const auto it = request.find("x-request-id");
  if (it != request.end()) {
    const auto value = it->value();
    const absl::string_view id(value.data(), value.size());
    if (IsValidRequestId(id)) {
      ctx_.request_id = id;
      return;
    }
  }
  ctx_.request_id = env_.request_ids.Next(ctx_.generated_request_id);
}

asio::awaitable<void> HttpSession::Run() {
  bool unread_input = false;  // The client may still be sending what the server will not read.
  while (true) {
    // Nothing may point into the arena past this point: the previous request is finished.
    ctx_.Reset();
    stream_started_ = false;
    stream_head_pending_ = false;
    stream_ended_clean_ = false;
    stream_write_failed_ = false;
    client_gone_ = false;
    // The next request's body goes where the last one's was: a typical chat request is too large
    // for malloc's per-thread cache, and freeing and allocating it again cost more than parsing.
    std::string body;
    if (parser_ && parser_->get().body().capacity() <= kKeptBodyBytes) {
      body = std::move(parser_->get().body());
      body.clear();
    }
    parser_.reset();
    arena_.release();
    parser_.emplace(std::piecewise_construct, std::make_tuple(std::move(body)),
                    std::make_tuple(RequestFieldAllocator(&arena_)));
    parser_->body_limit(env_.limits.max_body_bytes);
    parser_->header_limit(env_.limits.max_header_bytes);
    ArmIdleDeadline(env_.limits.idle_timeout);
    reading_ = true;
    const boost::system::error_code read_error = co_await ReadRequest();
    reading_ = false;
    expires_at_ = std::chrono::steady_clock::time_point::max();

    bool keep_alive = true;
    if (read_error) {
      if (read_error == http::error::body_limit) {
        // Beast reports the limit only once the request line and every header field are parsed
        // (with a Content-Length, before it marks the header done), so routing and auth can
        // still answer first. The rest of the body stays unread: the connection must close.
        ctx_.body_too_large = true;
        keep_alive = false;
        unread_input = true;
      } else if (IsMalformedRequest(read_error)) {
        unread_input = true;
        ctx_.request_id = env_.request_ids.Next(ctx_.generated_request_id);
        SetOpenAiError(ctx_.response, 400, ErrorType::kInvalidRequest, "invalid_request",
                       "The request is not valid HTTP/1.1.");
        co_await WriteResponse(/*keep_alive=*/false, /*head_only=*/false);
        break;
      } else {
        break;  // The client closed, reset, timed out, or the server is closing it.
      }
    }

    const HttpRequest& request = parser_->get();
    keep_alive = keep_alive && request.keep_alive();
    ctx_.request = &request;
    AssignRequestId();
    ctx_.snapshot = env_.snapshots.Current();
    ctx_.received_at = absl::Now();
    const auto target = request.target();
    const bool head_only = request.method() == http::verb::head;
    const bool answered =
        co_await env_.router.Find(request.method(), absl::string_view(target.data(), target.size()))
            .Run(ctx_, [&] { return Answer(keep_alive, head_only); });

    if (client_gone_) break;
    if (stream_started_) {
      // The response went out as it was produced; the connection stays only after a clean end.
      if (!keep_alive || !stream_chunked_ || !stream_ended_clean_ || env_.draining) break;
      continue;
    }
    if (!answered || !keep_alive || env_.draining) break;
  }
  if (unread_input) {
    co_await LingeringClose();
  } else {
    // Everything the client sent was read: close at once (no reset can overtake the response).
    boost::system::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }
}

asio::awaitable<boost::system::error_code> HttpSession::ReadRequest() {
  const auto [header_error, header_bytes] =
      co_await http::async_read_header(socket_, buffer_, *parser_, kNoThrow);
  if (header_error) co_return header_error;
  // The body usually arrived with the header: parse what is buffered before reading more. Beast's
  // async_read would post its completion when no read is needed, a scheduler round per request.
  if (const boost::system::error_code error = ParseBuffered(); error || parser_->is_done()) {
    co_return error;
  }
  // Clients such as curl hold a large body back (for a second, by default) until told to go on.
  const auto expect = parser_->get()[http::field::expect];
  if (boost::beast::iequals(expect, "100-continue")) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    const auto [write_error, written] =
        co_await asio::async_write(socket_, asio::buffer(kContinue), kNoThrow);
    if (write_error) co_return write_error;
  }
  const auto [body_error, body_bytes] =
      co_await http::async_read(socket_, buffer_, *parser_, kNoThrow);
  co_return body_error;
}

boost::system::error_code HttpSession::ParseBuffered() {
  boost::system::error_code error;
  while (buffer_.size() > 0 && !parser_->is_done()) {
    const size_t used = parser_->put(buffer_.data(), error);
    buffer_.consume(used);
    if (error == http::error::need_more) return {};
    if (error) return error;
    if (used == 0) break;
  }
  return error;
}

asio::awaitable<bool> HttpSession::Answer(bool& keep_alive, bool head_only) {
  // Nobody is left to read a response (a client that only half-closed is taken as gone too, as
  // nginx does).
  if (client_gone_) co_return false;
  if (stream_started_) co_return stream_ended_clean_;
  // Draining may have begun while the pipeline ran: tell the client before closing.
  keep_alive = keep_alive && !env_.draining;
  co_return co_await WriteResponse(keep_alive, head_only);
}

asio::awaitable<bool> HttpSession::WriteResponse(bool keep_alive, bool head_only) {
  const Response& response = ctx_.response;
  head_.clear();
  head_.append("HTTP/1.1 ");
  AppendNumber(response.status, head_);
  head_.push_back(' ');
  const auto reason = http::obsolete_reason(http::int_to_status(response.status));
  head_.append(reason.data(), reason.size());
  head_.append("\r\nContent-Type: ");
  head_.append(response.content_type.data(), response.content_type.size());
  head_.append("\r\nContent-Length: ");
  AppendNumber(response.body.size(), head_);
  head_.append("\r\nx-request-id: ");
  head_.append(ctx_.request_id.data(), ctx_.request_id.size());
  head_.append("\r\n");
  if (!keep_alive) {
    head_.append("Connection: close\r\n");
  } else if (ctx_.request != nullptr && ctx_.request->version() == 10) {
    head_.append("Connection: keep-alive\r\n");
  }
  head_.append(response.extra_headers);
  head_.append("\r\n");

  const std::array<asio::const_buffer, 2> buffers = {
      asio::buffer(head_), head_only ? asio::const_buffer() : asio::buffer(response.body)};
  ArmIdleDeadline(env_.limits.idle_timeout);
  const auto [error, written] = co_await asio::async_write(socket_, buffers, kNoThrow);
  expires_at_ = std::chrono::steady_clock::time_point::max();
  co_return !error;
}

asio::awaitable<bool> HttpSession::Begin(unsigned status, absl::string_view content_type) {
  stream_started_ = true;
  stream_chunked_ = ctx_.request == nullptr || ctx_.request->version() >= 11;
  head_.clear();
  head_.append("HTTP/1.1 ");
  AppendNumber(status, head_);
  head_.push_back(' ');
  const auto reason = http::obsolete_reason(http::int_to_status(status));
  head_.append(reason.data(), reason.size());
  head_.append("\r\nContent-Type: ");
  head_.append(content_type.data(), content_type.size());
  head_.append("\r\nCache-Control: no-cache\r\nx-request-id: ");
  head_.append(ctx_.request_id.data(), ctx_.request_id.size());
  head_.append(stream_chunked_ ? "\r\nTransfer-Encoding: chunked\r\n"
                               : "\r\nConnection: close\r\n");
  head_.append(ctx_.response.extra_headers);
  head_.append("\r\n");
  // Sent with the first piece of the body: one segment, one wake-up of the client.
  stream_head_pending_ = true;
  co_return !stream_write_failed_;
}

asio::awaitable<bool> HttpSession::WriteStreamParts(asio::const_buffer first,
                                                    asio::const_buffer second,
                                                    asio::const_buffer third) {
  if (stream_write_failed_) co_return false;
  const std::array<asio::const_buffer, 4> buffers = {
      stream_head_pending_ ? asio::buffer(head_) : asio::const_buffer(), first, second, third};
  stream_head_pending_ = false;
  ArmIdleDeadline(env_.limits.idle_timeout);
  const auto [error, written] = co_await asio::async_write(socket_, buffers, kNoThrow);
  expires_at_ = std::chrono::steady_clock::time_point::max();
  if (error) stream_write_failed_ = true;
  co_return !error;
}

asio::awaitable<bool> HttpSession::Write(absl::string_view data) {
  if (data.empty()) co_return !stream_write_failed_;  // An empty chunk would end the body.
  const asio::const_buffer body = asio::buffer(data.data(), data.size());
  if (!stream_chunked_) co_return co_await WriteStreamParts(body);
  std::array<char, 20> size_line;
  const auto [end, ignored] =
      std::to_chars(size_line.data(), size_line.data() + size_line.size() - 2, data.size(), 16);
  size_t size_length = static_cast<size_t>(end - size_line.data());
  size_line[size_length++] = '\r';
  size_line[size_length++] = '\n';
  co_return co_await WriteStreamParts(asio::buffer(size_line.data(), size_length), body,
                                      asio::buffer("\r\n", 2));
}

asio::awaitable<bool> HttpSession::End(bool clean) {
  if (stream_write_failed_) co_return false;
  if (!stream_chunked_) {
    stream_ended_clean_ = false;  // Close-delimited: the close ends the body.
    co_return !stream_head_pending_ || co_await WriteStreamParts();
  }
  const bool written = co_await WriteStreamParts(asio::buffer("0\r\n\r\n", 5));
  stream_ended_clean_ = clean && written;
  co_return written;
}

void HttpSession::WatchClient(ClientGoneListener& listener) {
  // A handler of an earlier watch may still be queued holding the old state: never hand it the
  // new listener.
  if (client_watch_ == nullptr || client_watch_.use_count() > 1) {
    client_watch_ = std::make_shared<ClientWatch>();
  }
  client_watch_->listener = &listener;
  ArmClientWatch(client_watch_);
}

void HttpSession::ArmClientWatch(std::shared_ptr<ClientWatch> watch) {
  // A one-byte peek rather than a readiness wait: asio re-arms epoll (an epoll_ctl) for every
  // wait, while it tries a read at once (one recv that usually fails with EAGAIN), which costs
  // no more. The peeked byte stays in the socket.
  char* const peeked = &watch->peeked;
  socket_.async_receive(
      asio::buffer(peeked, 1), asio::socket_base::message_peek,
      [this, watch = std::move(watch)](const boost::system::error_code& error, size_t bytes) {
        // A stopped watch may outlive the session: look at nothing but `watch` then.
        if (watch->listener == nullptr) return;
        if (!error && bytes > 0) {
          // A pipelined request: it stays unread for the next round; the watch ends here.
          watch->listener = nullptr;
          return;
        }
        // End of stream, a reset, or the socket closed under the wait.
        ClientGoneListener* listener = std::exchange(watch->listener, nullptr);
        client_gone_ = error != asio::error::operation_aborted;
        listener->OnClientGone();
      });
}

void HttpSession::StopWatchingClient() {
  if (client_watch_ == nullptr || client_watch_->listener == nullptr) return;
  client_watch_->listener = nullptr;
  boost::system::error_code ignored;
  socket_.cancel(ignored);  // Only the watch waits on the socket meanwhile.
}

asio::awaitable<void> HttpSession::LingeringClose() {
  // Closing with unread request bytes makes the kernel send a reset, which can destroy the
  // response before the client reads it (a 413 for instance). Half-close, then drain briefly.
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  if (!socket_.is_open()) co_return;
  ArmIdleDeadline(absl::Seconds(1));
  std::array<char, 16 * 1024> scratch;
  for (size_t drained = 0; drained < 4 * 1024 * 1024;) {
    const auto [error, n] = co_await socket_.async_read_some(asio::buffer(scratch), kNoThrow);
    if (error) break;
    drained += n;
  }
  socket_.close(ignored);
}

}  // namespace gw::dp
