#include "data_plane/upstream/tls_client_context.h"

#include <openssl/ssl.h>

#include "absl/strings/str_cat.h"

namespace gw::dp {
namespace ssl = boost::asio::ssl;
namespace {

// Where a connection's SSL object keeps its TlsSessionCache.
int SessionCacheIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

int OnNewSession(SSL* ssl, SSL_SESSION* session) {
  auto* cache = static_cast<TlsSessionCache*>(SSL_get_ex_data(ssl, SessionCacheIndex()));
  if (cache == nullptr) return 0;  // Not kept: OpenSSL frees it.
  cache->Store(session);
  return 1;
}

}  // namespace

TlsSessionCache::~TlsSessionCache() {
  if (session_ != nullptr) SSL_SESSION_free(session_);
}

void TlsSessionCache::Attach(SSL* ssl) {
  SSL_set_ex_data(ssl, SessionCacheIndex(), this);
  if (session_ != nullptr && SSL_SESSION_is_resumable(session_) == 1) {
    SSL_set_session(ssl, session_);
  }
}

void TlsSessionCache::Store(SSL_SESSION* session) {
  if (session_ != nullptr) SSL_SESSION_free(session_);
  session_ = session;
}

absl::StatusOr<std::unique_ptr<ssl::context>> MakeTlsClientContext(
    const TlsClientOptions& options) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
  boost::system::error_code error;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1,
                       error);
  if (!error && options.use_system_store) context->set_default_verify_paths(error);
  if (error) {
    return absl::InternalError(absl::StrCat("cannot set up TLS: ", error.message()));
  }
  if (!options.extra_ca_file.empty()) {
    context->load_verify_file(options.extra_ca_file, error);
    if (error) {
      return absl::InvalidArgumentError(absl::StrCat("cannot load the upstream CA file ",
                                                     options.extra_ca_file, ": ", error.message()));
    }
  }
  context->set_verify_mode(ssl::verify_peer, error);
  if (error) return absl::InternalError(absl::StrCat("cannot set up TLS: ", error.message()));
  // Sessions go to the origin's TlsSessionCache only (no internal store to lock or grow).
  SSL_CTX_set_session_cache_mode(context->native_handle(),
                                 SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(context->native_handle(), OnNewSession);
  // Some servers insist on ALPN; we speak HTTP/1.1 only.
  static constexpr unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(context->native_handle(), kAlpn, sizeof kAlpn);
  return context;
}

}  // namespace gw::dp
