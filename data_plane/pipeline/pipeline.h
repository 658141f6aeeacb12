// An endpoint's chain: stages in order, then the handler, then the caller's write of the
// response, then the stages' completion hooks. Built once at startup; stages and handlers are
// shared (the key auth stage serves every authenticated endpoint).
//   Pipeline models({auth, body_limit}, std::make_shared<ListModelsHandler>());
//   bool written = co_await models.Run(ctx, [&] { return WriteResponse(ctx.response); });
#pragma once

#include <memory>
#include <vector>

#include "absl/functional/function_ref.h"
#include "boost/asio/awaitable.hpp"
#include "data_plane/pipeline/handler.h"
#include "data_plane/pipeline/stage.h"

namespace gw::dp {

// Sends the finished ctx.response to the client (an HTTP write, a gRPC reply); true when it got
// out. A streamed response is already out by then: the responder only reports how it ended.
using Responder = absl::FunctionRef<boost::asio::awaitable<bool>()>;

class Pipeline {
 public:
  Pipeline(std::vector<std::shared_ptr<const Stage>> stages,
           std::shared_ptr<const Handler> handler);

  // Returns what `respond` returned.
  boost::asio::awaitable<bool> Run(RequestContext& ctx, Responder respond) const;

  const std::vector<std::shared_ptr<const Stage>>& stages() const { return stages_; }

 private:
  std::vector<std::shared_ptr<const Stage>> stages_;
  std::shared_ptr<const Handler> handler_;
};

}  // namespace gw::dp
