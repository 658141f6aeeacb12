// The client-side TLS settings for upstream calls (OpenSSL through asio::ssl): TLS 1.2+, peer
// verification against the system CA store plus an optional extra CA file (tests, private CAs).
// One context per worker thread, so nothing in it is shared between threads.
//   GW_ASSIGN_OR_RETURN(auto tls, MakeTlsClientContext({.extra_ca_file = flags.upstream_ca}));
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "boost/asio/ssl/context.hpp"

namespace gw::dp {

struct TlsClientOptions {
  // PEM file with extra trusted CA certificates, added to the system store; empty for none.
  std::string extra_ca_file;
  // Whether to trust the system store (off only in tests that must prove a CA is untrusted).
  bool use_system_store = true;
};

// INVALID_ARGUMENT when the extra CA file cannot be loaded.
absl::StatusOr<std::unique_ptr<boost::asio::ssl::context>> MakeTlsClientContext(
    const TlsClientOptions& options);

}  // namespace gw::dp
