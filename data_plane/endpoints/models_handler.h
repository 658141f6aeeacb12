// GET /v1/models: the models the authenticated key may use (its team's allowed models narrowed
// by the key's own list), in OpenAI's list shape. The body was rendered once per snapshot, so
// this is a copy. Needs KeyAuthStage before it.
#pragma once

#include "data_plane/pipeline/handler.h"

namespace gw::dp {

class ListModelsHandler final : public Handler {
 public:
  boost::asio::awaitable<void> Handle(RequestContext& ctx) const override;
};

}  // namespace gw::dp
