#include "tests/fakes/api_error.h"

#include "tests/fakes/json_text.h"

namespace gw::testing {

ApiError DefaultApiError(int status) {
  ApiError e;
  e.status = status;
  switch (status) {
    case 401:
      e.type = "invalid_request_error";
      e.code = "invalid_api_key";
      e.message = "Incorrect API key provided.";
      break;
    case 403:
      e.type = "invalid_request_error";
      e.code = "unsupported_country_region_territory";
      e.message = "Country, region, or territory not supported";
      break;
    case 404:
      e.type = "invalid_request_error";
      e.code = "model_not_found";
      e.message = "The model does not exist or you do not have access to it.";
      break;
    case 429:
      e.type = "requests";
      e.code = "rate_limit_exceeded";
      e.message = "Rate limit reached for requests. Please try again in 1s.";
      break;
    case 503:
      e.type = "server_error";
      e.message = "The engine is currently overloaded, please try again later.";
      break;
    default:
      if (status >= 500) {
        e.type = "server_error";
        e.message = "The server had an error while processing your request. Sorry about that!";
      } else {
        e.type = "invalid_request_error";
        e.message = "Invalid request.";
      }
  }
  return e;
}

void AppendApiErrorJson(std::string& out, const ApiError& error) {
  out.append("{\"error\":{\"message\":");
  AppendJsonString(out, error.message);
  out.append(",\"type\":");
  AppendJsonString(out, error.type);
  out.append(",\"param\":");
  if (error.param.empty()) {
    out.append("null");
  } else {
    AppendJsonString(out, error.param);
  }
  out.append(",\"code\":");
  if (error.code.empty()) {
    out.append("null");
  } else {
    AppendJsonString(out, error.code);
  }
  out.append("}}");
}

}  // namespace gw::testing
