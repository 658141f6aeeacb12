// Local replies for requests no endpoint serves: an unknown path (404, code not_found) and a
// known path with the wrong method (405, code method_not_allowed).
#pragma once

#include "data_plane/pipeline/handler.h"

namespace gw::dp {

class NotFoundHandler final : public Handler {
 public:
  boost::asio::awaitable<void> Handle(RequestContext& ctx) const override;
};

class MethodNotAllowedHandler final : public Handler {
 public:
  boost::asio::awaitable<void> Handle(RequestContext& ctx) const override;
};

}  // namespace gw::dp
