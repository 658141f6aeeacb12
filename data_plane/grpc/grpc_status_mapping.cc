#include "data_plane/grpc/grpc_status_mapping.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "boost/json/parse.hpp"
#include "boost/json/value.hpp"

namespace gw::dp {
namespace {

struct ErrorObject {
  std::string message;
  std::string type;
  std::string code;
};

std::string StringMember(const boost::json::object& object, absl::string_view name) {
  const boost::json::value* value = object.if_contains(std::string_view(name.data(), name.size()));
  if (value == nullptr || !value->is_string()) return "";
  return std::string(value->get_string());
}

// The `error` object of an OpenAI error body; empty fields when the body is something else.
ErrorObject ParseErrorObject(absl::string_view body) {
  ErrorObject error;
  boost::system::error_code parse_error;
  const boost::json::value value =
      boost::json::parse(std::string_view(body.data(), body.size()), parse_error);
  if (parse_error || !value.is_object()) return error;
  const boost::json::value* inner = value.get_object().if_contains("error");
  if (inner == nullptr || !inner->is_object()) return error;
  error.message = StringMember(inner->get_object(), "message");
  error.type = StringMember(inner->get_object(), "type");
  error.code = StringMember(inner->get_object(), "code");
  return error;
}

}  // namespace

grpc::StatusCode GrpcCodeForHttpStatus(unsigned http_status) {
  switch (http_status) {
    case 401:
      return grpc::StatusCode::UNAUTHENTICATED;
    case 403:
      return grpc::StatusCode::PERMISSION_DENIED;
    case 404:
      return grpc::StatusCode::NOT_FOUND;
    case 408:
    case 504:
      return grpc::StatusCode::DEADLINE_EXCEEDED;
    case 409:
      return grpc::StatusCode::ABORTED;
    case 429:
      return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case 499:
      return grpc::StatusCode::CANCELLED;
    case 500:
      return grpc::StatusCode::INTERNAL;
    case 501:
      return grpc::StatusCode::UNIMPLEMENTED;
    default:
      break;
  }
  if (http_status >= 400 && http_status < 500) return grpc::StatusCode::INVALID_ARGUMENT;
  if (http_status >= 500 && http_status < 600) return grpc::StatusCode::UNAVAILABLE;
  return grpc::StatusCode::UNKNOWN;
}

grpc::Status GrpcStatusFromHttpError(unsigned http_status, absl::string_view body) {
  ErrorObject error = ParseErrorObject(body);
  if (error.message.empty()) {
    error.message = absl::StrCat("the gateway answered HTTP ", http_status);
  }
  return grpc::Status(GrpcCodeForHttpStatus(http_status), error.message);
}

grpc::Status GrpcStatusFromStreamError(absl::string_view event_data) {
  ErrorObject error = ParseErrorObject(event_data);
  if (error.message.empty()) error.message = "the stream failed";
  grpc::StatusCode code = grpc::StatusCode::UNAVAILABLE;
  if (error.code == "upstream_timeout") {
    code = grpc::StatusCode::DEADLINE_EXCEEDED;
  } else if (error.type == "invalid_request_error") {
    code = grpc::StatusCode::INVALID_ARGUMENT;
  } else if (error.type == "authentication_error") {
    code = grpc::StatusCode::UNAUTHENTICATED;
  } else if (error.type == "permission_error") {
    code = grpc::StatusCode::PERMISSION_DENIED;
  } else if (error.type == "rate_limit_error") {
    code = grpc::StatusCode::RESOURCE_EXHAUSTED;
  }
  return grpc::Status(code, error.message);
}

}  // namespace gw::dp
