// OpenAI's error object, {"error": {"message", "type", "param", "code"}}, with the texts OpenAI
// sends for each status unless the fake was told otherwise.
//   ApiError e = DefaultApiError(429); AppendApiErrorJson(body, e);
#pragma once

#include <string>

namespace gw::testing {

struct ApiError {
  int status = 400;
  std::string message;
  std::string type;
  std::string param;  // empty: null
  std::string code;   // empty: null
};

// The message, type and code OpenAI uses for `status` (429: type "requests", code
// "rate_limit_exceeded"; 5xx: "server_error"; other 4xx: "invalid_request_error").
ApiError DefaultApiError(int status);

void AppendApiErrorJson(std::string& out, const ApiError& error);

}  // namespace gw::testing
