#include "data_plane/endpoints/error_handlers.h"

#include "data_plane/http/openai_error.h"

namespace gw::dp {

boost::asio::awaitable<void> NotFoundHandler::Handle(RequestContext& ctx) const {
  SetOpenAiError(ctx.response, 404, ErrorType::kInvalidRequest, "not_found",
                 "Unknown request URL. Please check the URL and method.");
  co_return;
}

boost::asio::awaitable<void> MethodNotAllowedHandler::Handle(RequestContext& ctx) const {
  SetOpenAiError(ctx.response, 405, ErrorType::kInvalidRequest, "method_not_allowed",
                 "This URL does not accept the request's method.");
  co_return;
}

}  // namespace gw::dp
