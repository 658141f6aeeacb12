// Errors in OpenAI's shape, which every OpenAI SDK parses:
//   {"error":{"message":"...","type":"authentication_error","param":null,"code":"invalid_api_key"}}
//   SetOpenAiError(response, 401, ErrorType::kAuthentication, "invalid_api_key", "Incorrect ...");
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "data_plane/http/response.h"

namespace gw::dp {

enum class ErrorType {
  kInvalidRequest,  // "invalid_request_error": 400, 404, 405, 413
  kAuthentication,  // "authentication_error": 401
  kPermission,      // "permission_error": 403
  kRateLimit,       // "rate_limit_error": 429
  kApi,             // "api_error": 5xx
};

absl::string_view ErrorTypeName(ErrorType type);

// Replaces the response's status and body; `code` empty writes `"code":null`. The message must
// never carry a secret (keys, tokens).
void SetOpenAiError(Response& response, unsigned status, ErrorType type, absl::string_view code,
                    absl::string_view message);

}  // namespace gw::dp
