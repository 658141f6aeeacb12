// Where a provider lives, parsed once per snapshot from its base URL so that the request path
// never parses URLs: scheme, host, port, the path prefix and the pre-rendered Host header.
//   GW_ASSIGN_OR_RETURN(UpstreamEndpoint ep, ParseUpstreamEndpoint("https://api.openai.com/v1"));
//   ep.PathFor("/chat/completions") == "/v1/chat/completions"
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gw::dp {

struct UpstreamEndpoint {
  bool tls = true;
  std::string host;  // Without brackets for IPv6 literals; used for DNS, SNI and checks.
  uint16_t port = 443;
  std::string base_path;    // "/v1" for "https://api.openai.com/v1/"; "" for a bare origin.
  std::string host_header;  // "api.openai.com" or "127.0.0.1:8000" (port only when not default).
  std::string pool_key;     // "https://api.openai.com:443": what connections are shared by.

  // base_path + suffix; suffix starts with '/'.
  std::string PathFor(absl::string_view suffix) const;
};

// Accepts http:// and https:// URLs with a host, an optional port and an optional path; refuses
// user info, queries and fragments (INVALID_ARGUMENT), which have no meaning for a base URL.
absl::StatusOr<UpstreamEndpoint> ParseUpstreamEndpoint(absl::string_view base_url);

}  // namespace gw::dp
