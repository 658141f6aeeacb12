// What the client gets when a provider call fails, in OpenAI's error shape (CONTRACTS.md):
// provider 4xx passed through with the provider's status and message; provider 5xx or
// unreachable -> 502 api_error; timeouts -> 504 api_error. Messages name the provider, never its
// address, credential or the request; the details stay in the upstream status for the log.
//   ProviderError error = ProviderErrorFromStatus(call_status, "openai-main");
//   response.status = error.http_status;  response.body = error.body;
//   AppendStreamErrorEvent(error, out);   // after the first streamed byte: data: {"error":...}
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace gw::dp {

struct ProviderError {
  unsigned http_status = 502;
  std::string body;         // {"error":{"message","type","param","code"}}
  std::string retry_after;  // The provider's Retry-After (429, 503), to pass on; may be empty.
};

// An upstream call that got no usable response: DEADLINE_EXCEEDED -> 504, CANCELLED -> 499
// (the client left; nothing is sent), anything else -> 502.
ProviderError ProviderErrorFromStatus(const absl::Status& status, absl::string_view provider);

// The provider answered `status` >= 400 with `body`. 4xx keeps the status and the provider's
// message, type, param and code (each copied as the provider wrote it; defaults for the ones it
// left out); 5xx becomes 502 with the provider's message appended. Any occurrence of
// `credential` in the body is redacted first.
ProviderError ProviderErrorFromResponse(int status, absl::string_view body,
                                        absl::string_view retry_after, absl::string_view provider,
                                        absl::string_view credential);

// A 2xx response the gateway cannot use (not JSON, truncated): 502.
ProviderError ProviderErrorBadResponse(absl::string_view provider, absl::string_view why);

// "data: <body>\n\n": how a stream that already started ends on an error (no [DONE] follows).
void AppendStreamErrorEvent(const ProviderError& error, std::string& out);

}  // namespace gw::dp
