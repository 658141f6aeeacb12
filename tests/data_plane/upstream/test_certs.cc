#include "tests/data_plane/upstream/test_certs.h"

#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace gw::testing {
namespace {

absl::Status Run(const std::string& command) {
  const std::string quiet = absl::StrCat(command, " >/dev/null 2>&1");
  if (std::system(quiet.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("command failed: ", command));
  }
  return absl::OkStatus();
}

absl::Status MakeCa(const std::string& dir, const std::string& name) {
  return Run(
      absl::StrCat("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                   "-nodes -days 2 -subj /CN=",
                   name, " -keyout ", dir, "/", name, ".key -out ", dir, "/", name,
                   ".pem -addext basicConstraints=critical,CA:TRUE -addext "
                   "keyUsage=critical,keyCertSign,cRLSign"));
}

absl::Status MakeLeaf(const std::string& dir, const std::string& ca, const std::string& name,
                      const std::string& san) {
  const std::string base = absl::StrCat(dir, "/", name);
  if (auto s = Run(absl::StrCat("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                                "-nodes -subj /CN=",
                                name, " -keyout ", base, ".key -out ", base, ".csr"));
      !s.ok()) {
    return s;
  }
  {
    std::ofstream extensions(base + ".ext");
    extensions << "subjectAltName=" << san << "\nextendedKeyUsage=serverAuth\n";
    if (!extensions.good()) return absl::InternalError("cannot write " + base + ".ext");
  }
  return Run(absl::StrCat("openssl x509 -req -in ", base, ".csr -CA ", dir, "/", ca, ".pem -CAkey ",
                          dir, "/", ca, ".key -CAcreateserial -days 2 -out ", base,
                          ".pem -extfile ", base, ".ext"));
}

}  // namespace

absl::StatusOr<TestCerts> MakeTestCerts(const std::string& dir) {
  if (auto s = MakeCa(dir, "ca"); !s.ok()) return s;
  if (auto s = MakeCa(dir, "other-ca"); !s.ok()) return s;
  if (auto s = MakeLeaf(dir, "ca", "server", "IP:127.0.0.1,DNS:localhost"); !s.ok()) return s;
  if (auto s = MakeLeaf(dir, "ca", "wrong", "DNS:wrong.example"); !s.ok()) return s;
  if (auto s = MakeLeaf(dir, "other-ca", "untrusted", "IP:127.0.0.1,DNS:localhost"); !s.ok()) {
    return s;
  }
  TestCerts certs;
  certs.ca_cert = dir + "/ca.pem";
  certs.server_cert = dir + "/server.pem";
  certs.server_key = dir + "/server.key";
  certs.wrong_name_cert = dir + "/wrong.pem";
  certs.wrong_name_key = dir + "/wrong.key";
  certs.untrusted_cert = dir + "/untrusted.pem";
  certs.untrusted_key = dir + "/untrusted.key";
  return certs;
}

}  // namespace gw::testing
