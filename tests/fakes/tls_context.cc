#include "tests/fakes/tls_context.h"

#include "absl/strings/str_cat.h"

namespace gw::testing {

namespace ssl = boost::asio::ssl;

absl::StatusOr<std::unique_ptr<ssl::context>> MakeServerTlsContext(
    const std::string& cert_chain_file, const std::string& private_key_file) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                       ec);
  if (!ec) context->use_certificate_chain_file(cert_chain_file, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot load TLS certificate chain ", cert_chain_file, ": ", ec.message()));
  }
  context->use_private_key_file(private_key_file, ssl::context::pem, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot load TLS private key ", private_key_file, ": ", ec.message()));
  }
  return context;
}

}  // namespace gw::testing
