// A small blocking HTTP/1.1 client for integration tests: one request per call on a fresh
// connection to a loopback address, with a deadline.
//   auto r = HttpRequest("127.0.0.1:8080", "GET", "/readyz", {}, "");  // r->status == 200
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gw::testing {

struct HttpResponse {
  int status = 0;
  // Header names lower-cased.
  std::map<std::string, std::string> headers;
  std::string body;
};

absl::StatusOr<HttpResponse> HttpRequest(const std::string& address, const std::string& method,
                                         const std::string& target,
                                         const std::map<std::string, std::string>& headers,
                                         const std::string& body,
                                         absl::Duration timeout = absl::Seconds(10));

}  // namespace gw::testing
