#include "data_plane/endpoints/models_handler.h"

#include <stdexcept>

namespace gw::dp {

boost::asio::awaitable<void> ListModelsHandler::Handle(RequestContext& ctx) const {
  if (ctx.key == nullptr) throw std::logic_error("ListModelsHandler runs after KeyAuthStage");
  ctx.response.status = 200;
  ctx.response.body.assign(ctx.key->models->models_response_json);
  co_return;
}

}  // namespace gw::dp
