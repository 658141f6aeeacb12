#include "data_plane/http/openai_error.h"

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

void AppendJsonString(absl::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char c : text) {
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out.append("\\u00");
          out.push_back(kHex[(c >> 4) & 0xf]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void SetOpenAiError(Response& response, unsigned status, ErrorType type, absl::string_view code,
                    absl::string_view message) {
  response.status = status;
  response.content_type = kJsonContentType;
  std::string& body = response.body;
  body.clear();
  body.append(R"({"error":{"message":)");
  AppendJsonString(message, body);
  body.append(R"(,"type":")");
  const absl::string_view type_name = ErrorTypeName(type);
  body.append(type_name.data(), type_name.size());
  body.append(R"(","param":null,"code":)");
  if (code.empty()) {
    body.append("null");
  } else {
    AppendJsonString(code, body);
  }
  body.append("}}");
}

}  // namespace gw::dp
