// The end of a pipeline: what an endpoint does once every stage let the request through. It is
// a coroutine so that endpoints which call upstreams suspend without blocking their thread;
// endpoints that answer from the snapshot complete without suspending (Asio recycles the frame,
// so this costs no allocation per request).
//   class ListModels final : public Handler {
//     boost::asio::awaitable<void> Handle(RequestContext& ctx) const override {
//       ctx.response.body = ...;  co_return;
//     }
//   };
#pragma once

#include "boost/asio/awaitable.hpp"
#include "data_plane/pipeline/request_context.h"

namespace gw::dp {

class Handler {
 public:
  virtual ~Handler() = default;
  // Fills ctx.response. An exception escaping it becomes a 500 api_error.
  virtual boost::asio::awaitable<void> Handle(RequestContext& ctx) const = 0;
};

}  // namespace gw::dp
