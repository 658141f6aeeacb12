// Test PKI made at test time with the openssl CLI: a trusted CA with a server certificate for
// 127.0.0.1 and localhost, a certificate of the same CA for another name, and a certificate
// from a CA nobody trusts.
//   absl::StatusOr<TestCerts> certs = MakeTestCerts(temp_dir);
//   client_options.tls.extra_ca_file = certs->ca_cert;
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace gw::testing {

struct TestCerts {
  std::string ca_cert;      // The CA the client is told to trust.
  std::string server_cert;  // SAN IP:127.0.0.1, DNS:localhost; signed by ca_cert.
  std::string server_key;
  std::string wrong_name_cert;  // SAN DNS:wrong.example; signed by ca_cert.
  std::string wrong_name_key;
  std::string untrusted_cert;  // SAN IP:127.0.0.1, DNS:localhost; signed by another CA.
  std::string untrusted_key;
};

absl::StatusOr<TestCerts> MakeTestCerts(const std::string& dir);

}  // namespace gw::testing
