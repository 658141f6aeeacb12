#include "tests/fakes/session.h"

#include <array>
#include <chrono>
#include <string>
#include <utility>
#include <variant>

#include "boost/asio/as_tuple.hpp"
#include "boost/asio/experimental/awaitable_operators.hpp"
#include "boost/asio/ssl/stream.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/this_coro.hpp"
#include "boost/asio/use_awaitable.hpp"
#include "boost/asio/write.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/core/stream_traits.hpp"
#include "boost/beast/core/string.hpp"
#include "boost/beast/http/error.hpp"
#include "boost/beast/http/parser.hpp"
#include "boost/beast/http/read.hpp"
#include "tests/fakes/api_error.h"
#include "tests/fakes/request_handler.h"
#include "tests/fakes/response_head.h"

namespace gw::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;  // NOLINT(build/namespaces)

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr size_t kBodyLimit = 64 * 1024 * 1024;
constexpr size_t kReadBufferSize = 16 * 1024;

enum class Outcome {
  kDone,        // answered; the connection may serve the next request
  kClientGone,  // the client closed or broke the connection mid-answer
  kClosed,      // the fake closed or reset the connection on purpose
};

template <typename Stream>
tcp::socket& Tcp(Stream& stream) {
  return beast::get_lowest_layer(stream);
}

template <typename Stream>
class Connection {
 public:
  Connection(Stream& stream, FakeProviderState& state)
      : stream_(stream), state_(state), timer_(stream.get_executor()) {}

  asio::awaitable<void> Run() {
    co_await asio::this_coro::throw_if_cancelled(false);
    // Beast reads at most the buffer's spare capacity (512 bytes at first): without room for a
    // whole request every request would cost several recv calls.
    buffer_.reserve(kReadBufferSize);
    // Reused from request to request so the body string keeps its capacity: a fresh 1 KB body
    // per request costs a large malloc (and glibc's fastbin consolidation) every time.
    FakeHttpRequest spare;
    for (;;) {
      spare.clear();
      spare.body().clear();
      http::request_parser<http::string_body> parser(std::move(spare));
      parser.body_limit(kBodyLimit);
      if (!co_await ReadRequest(parser)) break;
      const FakeHttpRequest& request = parser.get();
      keep_alive_ = request.keep_alive();
      reply_.Clear();
      HandleRequest(request, state_, reply_);
      if (reply_.status >= 400) {
        state_.stats.error_responses.fetch_add(1, std::memory_order_relaxed);
      }

      Outcome outcome;
      if (NeedsWatch()) {
        std::variant<Outcome, bool> first = co_await (Answer() || WatchForClose());
        outcome = first.index() == 0 ? std::get<0>(first) : Outcome::kClientGone;
      } else {
        outcome = co_await Answer();
      }
      if (outcome == Outcome::kClientGone) {
        state_.stats.client_disconnects.fetch_add(1, std::memory_order_relaxed);
      }
      if (outcome != Outcome::kDone || !keep_alive_) break;
      spare = parser.release();
    }
    boost::system::error_code ignored;
    Tcp(stream_).shutdown(tcp::socket::shutdown_send, ignored);
    Tcp(stream_).close(ignored);
  }

 private:
  // Clients such as curl send "Expect: 100-continue" with larger bodies and wait for the
  // interim answer before sending the body.
  asio::awaitable<bool> ReadRequest(http::request_parser<http::string_body>& parser) {
    auto [head_error, head_bytes] =
        co_await http::async_read_header(stream_, buffer_, parser, kNoThrow);
    if (head_error) co_return co_await RefuseUnreadable(head_error);
    if (!parser.is_done() && beast::iequals(parser.get()[http::field::expect], "100-continue") &&
        !co_await Write("HTTP/1.1 100 Continue\r\n\r\n")) {
      co_return false;
    }
    auto [body_error, body_bytes] = co_await http::async_read(stream_, buffer_, parser, kNoThrow);
    if (body_error) co_return co_await RefuseUnreadable(body_error);
    co_return true;
  }

  // A request Beast could not read: 413 or 400 in OpenAI's shape when the client is still there,
  // then the connection closes (the rest of its bytes cannot be framed). Always false.
  asio::awaitable<bool> RefuseUnreadable(boost::system::error_code error) {
    if (error.category() != http::make_error_code(http::error::bad_target).category() ||
        error == http::error::end_of_stream || error == http::error::partial_message) {
      co_return false;
    }
    const bool too_large = error == http::error::body_limit || error == http::error::header_limit;
    ApiError refusal;
    refusal.status = too_large ? 413 : 400;
    refusal.type = "invalid_request_error";
    refusal.message = too_large ? "Request too large." : "Malformed HTTP request.";
    std::string body;
    AppendApiErrorJson(body, refusal);
    out_.clear();
    AppendResponseHead(out_, refusal.status, "application/json", body.size(), "", true);
    out_.append(body);
    state_.stats.error_responses.fetch_add(1, std::memory_order_relaxed);
    co_await Write(out_);
    co_return false;
  }

  // Answers that wait or stream get a concurrent read, so a client that leaves is seen while
  // the fake would otherwise only sleep; plain answers skip it to stay one write per request.
  bool NeedsWatch() const {
    const Behaviour* b = reply_.behaviour.get();
    return reply_.stream.has_value() || (b != nullptr && (b->first_byte_delay_ms > 0 || b->stall));
  }

  // Completes only when the client closed or broke the connection. Bytes of a pipelined next
  // request are kept for the next read; the watch then waits to be cancelled, as it does when
  // the fake closed the socket itself.
  asio::awaitable<bool> WatchForClose() {
    co_await asio::this_coro::throw_if_cancelled(false);
    auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(4096), kNoThrow);
    if (!ec) buffer_.commit(n);
    if (!ec || ec == asio::error::operation_aborted) {
      co_await WaitForever();
      co_return false;
    }
    co_return true;
  }

  // A cancellation emitted while this coroutine was not suspended on an operation does not reach
  // the next one, so every wait checks for it first.
  static asio::awaitable<bool> Cancelled() {
    const asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
    co_return state.cancelled() != asio::cancellation_type::none;
  }

  asio::awaitable<void> WaitForever() {
    if (co_await Cancelled()) co_return;
    asio::steady_timer never(stream_.get_executor(), asio::steady_timer::time_point::max());
    co_await never.async_wait(kNoThrow);
  }

  // False when cancelled (the client went away).
  asio::awaitable<bool> Sleep(int64_t ms) {
    if (co_await Cancelled()) co_return false;
    timer_.expires_after(std::chrono::milliseconds(ms));
    auto [ec] = co_await timer_.async_wait(kNoThrow);
    co_return !ec;
  }

  asio::awaitable<bool> Write(std::string_view data) {
    if (co_await Cancelled()) co_return false;
    auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(data), kNoThrow);
    co_return !ec;
  }

  void Reset() {
    state_.stats.resets.fetch_add(1, std::memory_order_relaxed);
    boost::system::error_code ignored;
    Tcp(stream_).set_option(tcp::socket::linger(true, 0), ignored);
    Tcp(stream_).close(ignored);
  }

  // A clean TCP close (FIN) in the middle of a body, without a TLS close_notify.
  void CloseTruncated() {
    state_.stats.truncations.fetch_add(1, std::memory_order_relaxed);
    boost::system::error_code ignored;
    Tcp(stream_).shutdown(tcp::socket::shutdown_both, ignored);
    Tcp(stream_).close(ignored);
  }

  asio::awaitable<Outcome> Stall() {
    state_.stats.stalls.fetch_add(1, std::memory_order_relaxed);
    co_await WaitForever();
    co_return Outcome::kClientGone;
  }

  asio::awaitable<Outcome> Answer() {
    co_await asio::this_coro::throw_if_cancelled(false);
    const Behaviour* b = reply_.behaviour.get();
    if (b != nullptr) {
      if (b->first_byte_delay_ms > 0 && !co_await Sleep(b->first_byte_delay_ms)) {
        co_return Outcome::kClientGone;
      }
      if (b->stall) co_return co_await Stall();
      if (!reply_.stream && b->reset_after_chunks) {
        Reset();
        co_return Outcome::kClosed;
      }
    }
    if (reply_.stream) co_return co_await AnswerStream(*b);

    out_.clear();
    AppendResponseHead(out_, reply_.status, reply_.content_type, reply_.body.size(),
                       reply_.extra_headers, !keep_alive_);
    if (b != nullptr && b->truncate_body) {
      out_.append(reply_.body, 0, reply_.body.size() / 2);
      if (!co_await Write(out_)) co_return Outcome::kClientGone;
      CloseTruncated();
      co_return Outcome::kClosed;
    }
    const std::array<asio::const_buffer, 2> buffers = {asio::buffer(out_),
                                                       asio::buffer(reply_.body)};
    auto [ec, n] = co_await asio::async_write(stream_, buffers, kNoThrow);
    co_return ec ? Outcome::kClientGone : Outcome::kDone;
  }

  asio::awaitable<Outcome> AnswerStream(const Behaviour& b) {
    const ChatStream& stream = *reply_.stream;
    out_.clear();
    AppendResponseHead(out_, 200, reply_.content_type, std::nullopt, reply_.extra_headers,
                       !keep_alive_);
    // `out_` holds what is not yet written: the head until the first event goes with it.
    auto flush = [this]() -> asio::awaitable<bool> {
      if (out_.empty()) co_return true;
      const bool ok = co_await Write(out_);
      out_.clear();
      co_return ok;
    };
    const size_t events = stream.event_count();
    for (size_t i = 0; i < events; ++i) {
      const auto at = [i](const std::optional<int64_t>& n) {
        return n && static_cast<size_t>(*n) == i;
      };
      if (at(b.reset_after_chunks)) {
        if (!co_await flush()) co_return Outcome::kClientGone;
        Reset();
        co_return Outcome::kClosed;
      }
      if (at(b.stall_after_chunks)) {
        if (!co_await flush()) co_return Outcome::kClientGone;
        co_return co_await Stall();
      }
      if (b.truncate_body && i == stream.content_event_count()) {
        if (!co_await flush()) co_return Outcome::kClientGone;
        CloseTruncated();
        co_return Outcome::kClosed;
      }
      if (i > 0 && i <= stream.content_event_count() && b.chunk_interval_ms > 0 &&
          !co_await Sleep(b.chunk_interval_ms)) {
        co_return Outcome::kClientGone;
      }
      event_.clear();
      stream.AppendEvent(i, event_);
      AppendHttpChunk(out_, event_);
      if (i + 1 == events) out_.append(kLastHttpChunk);
      if (!co_await flush()) co_return Outcome::kClientGone;
    }
    state_.stats.streams_completed.fetch_add(1, std::memory_order_relaxed);
    co_return Outcome::kDone;
  }

  Stream& stream_;
  FakeProviderState& state_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  Reply reply_;
  bool keep_alive_ = true;
  std::string out_;
  std::string event_;
};

// Counts the connection as active for as long as it is served.
class ActiveConnection {
 public:
  explicit ActiveConnection(FakeStats& stats) : stats_(stats) {
    stats_.connections.fetch_add(1, std::memory_order_relaxed);
    stats_.active_connections.fetch_add(1, std::memory_order_relaxed);
  }
  ~ActiveConnection() { stats_.active_connections.fetch_sub(1, std::memory_order_relaxed); }
  ActiveConnection(const ActiveConnection&) = delete;
  ActiveConnection& operator=(const ActiveConnection&) = delete;

 private:
  FakeStats& stats_;
};

}  // namespace

asio::awaitable<void> ServeConnection(tcp::socket socket, FakeProviderState& state) {
  ActiveConnection active(state.stats);
  boost::system::error_code ignored;
  // Stream events are small writes that must leave at once.
  socket.set_option(tcp::no_delay(true), ignored);
  Connection<tcp::socket> connection(socket, state);
  co_await connection.Run();
}

asio::awaitable<void> ServeTlsConnection(tcp::socket socket, asio::ssl::context& tls,
                                         FakeProviderState& state) {
  ActiveConnection active(state.stats);
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  asio::ssl::stream<tcp::socket> stream(std::move(socket), tls);
  auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kNoThrow);
  if (ec) co_return;
  Connection<asio::ssl::stream<tcp::socket>> connection(stream, state);
  co_await connection.Run();
}

}  // namespace gw::testing
