#include "data_plane/http/openai_error.h"

#include "common/json_text.h"

namespace gw::dp {

absl::string_view ErrorTypeName(ErrorType type) {
  switch (type) {
    case ErrorType::kInvalidRequest:
      return "invalid_request_error";
    case ErrorType::kAuthentication:
      return "authentication_error";
    case ErrorType::kPermission:
      return "permission_error";
    case ErrorType::kRateLimit:
      return "rate_limit_error";
    case ErrorType::kApi:
      return "api_error";
  }
  return "api_error";
}

void SetOpenAiError(Response& response, unsigned status, ErrorType type, absl::string_view code,
                    absl::string_view message) {
  response.status = status;
  response.content_type = kJsonContentType;
  std::string& body = response.body;
  body.clear();
  body.append(R"({"error":{"message":)");
  AppendJsonQuoted(message, body);
  body.append(R"(,"type":")");
  const absl::string_view type_name = ErrorTypeName(type);
  body.append(type_name.data(), type_name.size());
  body.append(R"(","param":null,"code":)");
  if (code.empty()) {
    body.append("null");
  } else {
    AppendJsonQuoted(code, body);
  }
  body.append("}}");
}

}  // namespace gw::dp
