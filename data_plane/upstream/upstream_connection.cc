#include "data_plane/upstream/upstream_connection.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <cerrno>

#include "boost/asio/as_tuple.hpp"
#include "boost/asio/connect.hpp"
#include "boost/asio/use_awaitable.hpp"
#include "boost/asio/write.hpp"

namespace gw::dp {
namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// Room offered to every read: a whole typical JSON response in one read. Asked for explicitly:
// Beast's read_size() offers max(512, free capacity), and since the response parser consumes
// everything it is given, a buffer sized that way would never grow past 512 bytes (three reads,
// and three trips through the reactor, for a 1.3 KB response).
constexpr size_t kReadChunk = 16 * 1024;

}  // namespace

UpstreamConnection::UpstreamConnection(const asio::any_io_executor& executor)
    : resolver_(executor), socket_(executor), watchdog_(executor) {}

UpstreamConnection::~UpstreamConnection() { Close(); }

asio::awaitable<boost::system::error_code> UpstreamConnection::Resolve(
    const UpstreamEndpoint& endpoint, tcp::resolver::results_type& addresses) {
  boost::system::error_code not_ip;
  const asio::ip::address ip = asio::ip::make_address(endpoint.host, not_ip);
  const std::string port = std::to_string(endpoint.port);
  if (!not_ip) {
    addresses =
        tcp::resolver::results_type::create(tcp::endpoint(ip, endpoint.port), endpoint.host, port);
    co_return boost::system::error_code();
  }
  auto [error, results] = co_await resolver_.async_resolve(endpoint.host, port, kNoThrow);
  if (!error) addresses = std::move(results);
  co_return error;
}

asio::awaitable<boost::system::error_code> UpstreamConnection::Connect(
    const tcp::resolver::results_type& addresses) {
  const auto [error, connected_to] = co_await asio::async_connect(socket_, addresses, kNoThrow);
  if (error) co_return error;
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  co_return boost::system::error_code();
}

asio::awaitable<boost::system::error_code> UpstreamConnection::Handshake(
    const UpstreamEndpoint& endpoint, ssl::context& tls_context, TlsSessionCache* sessions) {
  tls_.emplace(socket_, tls_context);
  SSL* ssl_handle = tls_->native_handle();
  if (sessions != nullptr) sessions->Attach(ssl_handle);
  boost::system::error_code not_ip;
  asio::ip::make_address(endpoint.host, not_ip);
  if (not_ip) {
    // SNI carries DNS names only (RFC 6066); the certificate must match the same name.
    // SSL_set_tlsext_host_name, spelled out: the macro uses a C cast.
    if (SSL_ctrl(ssl_handle, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(endpoint.host.c_str())) != 1 ||
        SSL_set1_host(ssl_handle, endpoint.host.c_str()) != 1) {
      co_return asio::error::invalid_argument;
    }
    SSL_set_hostflags(ssl_handle, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  } else if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), endpoint.host.c_str()) !=
             1) {
    co_return asio::error::invalid_argument;
  }
  const auto [error] = co_await tls_->async_handshake(ssl::stream_base::client, kNoThrow);
  co_return error;
}

asio::awaitable<boost::system::error_code> UpstreamConnection::Write(
    absl::Span<const asio::const_buffer> buffers) {
  if (tls_) {
    const auto [error, written] = co_await asio::async_write(*tls_, buffers, kNoThrow);
    co_return error;
  }
  const auto [error, written] = co_await asio::async_write(socket_, buffers, kNoThrow);
  co_return error;
}

asio::awaitable<boost::system::error_code> UpstreamConnection::ReadSome() {
  const auto space = read_buffer_.prepare(kReadChunk);
  if (tls_) {
    const auto [error, read] = co_await tls_->async_read_some(space, kNoThrow);
    read_buffer_.commit(read);
    co_return error;
  }
  const auto [error, read] = co_await socket_.async_read_some(space, kNoThrow);
  read_buffer_.commit(read);
  co_return error;
}

void UpstreamConnection::SetDeadline(Clock::time_point deadline, UpstreamTimeout kind) {
  deadline_ = deadline;
  deadline_kind_ = kind;
  // The watchdog only ever needs re-arming for an earlier deadline; a later one (the usual case:
  // the idle deadline moving forward with every read) is picked up when it fires.
  if (!watchdog_at_ || *watchdog_at_ > deadline) ArmWatchdog(deadline);
}

bool UpstreamConnection::tls_resumed() {
  return tls_ && SSL_session_reused(tls_->native_handle()) == 1;
}

absl::string_view UpstreamConnection::TlsVerifyError() {
  if (!tls_) return {};
  const long result = SSL_get_verify_result(tls_->native_handle());
  if (result == X509_V_OK) return {};
  return X509_verify_cert_error_string(result);
}

void UpstreamConnection::ClearDeadline() {
  // The pending wait is left to fire: with no deadline it does nothing and stops. A connection
  // reused meanwhile keeps it, as its next deadline is later; cancelling and arming it again for
  // every request cost a timer-queue removal, an insertion and a posted handler.
  deadline_.reset();
}

void UpstreamConnection::ArmWatchdog(Clock::time_point at) {
  watchdog_.expires_at(at);
  watchdog_at_ = at;
  watchdog_.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
    if (const auto self = weak.lock()) self->OnWatchdog(error);
  });
}

void UpstreamConnection::OnWatchdog(const boost::system::error_code& error) {
  if (error) return;  // Re-armed or destroyed.
  const Clock::time_point now = Clock::now();
  if (watchdog_.expiry() > now) return;  // A stale completion; a newer wait is pending.
  watchdog_at_.reset();
  if (!deadline_) return;
  if (now >= *deadline_) {
    expired_ = deadline_kind_;
    deadline_.reset();
    Close();
    return;
  }
  ArmWatchdog(*deadline_);
}

void UpstreamConnection::Close() {
  // HTTP framing, not close_notify, tells us a response is complete, so the socket just closes.
  // Flagging the TLS shutdown as done keeps OpenSSL from marking the session unresumable when
  // the SSL object is freed without one.
  if (tls_) SSL_set_shutdown(tls_->native_handle(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  resolver_.cancel();
  boost::system::error_code ignored;
  socket_.close(ignored);
}

bool UpstreamConnection::LooksAlive() {
  if (!socket_.is_open() || read_buffer_.size() != 0) return false;
  char byte;
  const ssize_t peeked = ::recv(socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace gw::dp
