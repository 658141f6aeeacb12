// The client-side TLS settings for upstream calls (OpenSSL through asio::ssl): TLS 1.2+, peer
// verification against the system CA store plus an optional extra CA file (tests, private CAs).
// One context per worker thread, so nothing in it is shared between threads.
//   GW_ASSIGN_OR_RETURN(auto tls, MakeTlsClientContext({.extra_ca_file = flags.upstream_ca}));
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "boost/asio/ssl/context.hpp"

struct ssl_st;
struct ssl_session_st;

namespace gw::dp {

struct TlsClientOptions {
  // PEM file with extra trusted CA certificates, added to the system store; empty for none.
  std::string extra_ca_file;
  // Whether to trust the system store (off only in tests that must prove a CA is untrusted).
  bool use_system_store = true;
};

// INVALID_ARGUMENT when the extra CA file cannot be loaded. Contexts made here hand new TLS
// sessions to the TlsSessionCache attached to the connection that received them.
absl::StatusOr<std::unique_ptr<boost::asio::ssl::context>> MakeTlsClientContext(
    const TlsClientOptions& options);

// The latest TLS session of one origin, so that a new connection resumes it (an abbreviated
// handshake: one round trip and no certificate chain) instead of starting over. Lives as long
// as the connections attached to it.
class TlsSessionCache {
 public:
  TlsSessionCache() = default;
  ~TlsSessionCache();
  TlsSessionCache(const TlsSessionCache&) = delete;
  TlsSessionCache& operator=(const TlsSessionCache&) = delete;

  // Before the handshake: offer the stored session and collect the ones the server issues.
  void Attach(ssl_st* ssl);
  // Takes ownership of `session` (the new-session callback).
  void Store(ssl_session_st* session);

 private:
  ssl_session_st* session_ = nullptr;
};

}  // namespace gw::dp
