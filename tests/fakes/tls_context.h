// The fake provider's server-side TLS settings (OpenSSL through asio::ssl): TLS 1.2+ with a
// certificate chain and key in PEM files, e.g. those make_test_certs.sh writes.
//   GW_ASSIGN_OR_RETURN(auto tls, MakeServerTlsContext("server.pem", "server.key"));
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "boost/asio/ssl/context.hpp"

namespace gw::testing {

absl::StatusOr<std::unique_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const std::string& cert_chain_file, const std::string& private_key_file);

}  // namespace gw::testing
