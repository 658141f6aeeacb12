// The response a pipeline builds for one request: status, body and any extra headers. The
// session adds Content-Type, Content-Length, x-request-id and Connection when it writes it.
// One Response lives per connection and is reset between requests, so its buffers keep their
// capacity and a keep-alive connection stops allocating for responses after its first few.
//   response.status = 429;  response.AddHeader("Retry-After", "1");
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace gw::dp {

inline constexpr absl::string_view kJsonContentType = "application/json";

struct Response {
  unsigned status = 200;
  absl::string_view content_type = kJsonContentType;  // Must point to static storage.
  std::string body;
  std::string extra_headers;  // "Name: value\r\n" lines, appended by AddHeader.

  // `name` and `value` must not contain CR or LF (header injection); callers pass constants or
  // validated values.
  void AddHeader(absl::string_view name, absl::string_view value) {
    extra_headers.append(name.data(), name.size());
    extra_headers.append(": ");
    extra_headers.append(value.data(), value.size());
    extra_headers.append("\r\n");
  }

  void Reset() {
    status = 200;
    content_type = kJsonContentType;
    body.clear();
    extra_headers.clear();
  }
};

}  // namespace gw::dp
