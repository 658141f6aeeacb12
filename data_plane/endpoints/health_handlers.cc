#include "data_plane/endpoints/health_handlers.h"

#include <charconv>

#include "data_plane/http/openai_error.h"

namespace gw::dp {

boost::asio::awaitable<void> HealthzHandler::Handle(RequestContext& ctx) const {
  ctx.response.status = 200;
  ctx.response.body.assign(R"({"status":"ok"})");
  co_return;
}

boost::asio::awaitable<void> ReadyzHandler::Handle(RequestContext& ctx) const {
  if (ctx.snapshot == nullptr) {
    SetOpenAiError(ctx.response, 503, ErrorType::kApi, "config_not_loaded",
                   "No configuration snapshot has been applied yet.");
    co_return;
  }
  char digits[24];
  const auto [end, error] = std::to_chars(digits, digits + sizeof digits, ctx.snapshot->version());
  ctx.response.status = 200;
  ctx.response.body.assign(R"({"config_version":)");
  ctx.response.body.append(digits, end);
  ctx.response.body.push_back('}');
  co_return;
}

}  // namespace gw::dp
