// An endpoint's chain: stages in order, then the handler. Built once at startup; stages and
// handlers are shared (the key auth stage serves every authenticated endpoint).
//   Pipeline models({auth, body_limit}, std::make_shared<ListModelsHandler>());
//   co_await models.Run(ctx);   // ctx.response is then complete
#pragma once

#include <memory>
#include <vector>

#include "boost/asio/awaitable.hpp"
#include "data_plane/pipeline/handler.h"
#include "data_plane/pipeline/stage.h"

namespace gw::dp {

class Pipeline {
 public:
  Pipeline(std::vector<std::shared_ptr<const Stage>> stages,
           std::shared_ptr<const Handler> handler);

  boost::asio::awaitable<void> Run(RequestContext& ctx) const;

  const std::vector<std::shared_ptr<const Stage>>& stages() const { return stages_; }

 private:
  std::vector<std::shared_ptr<const Stage>> stages_;
  std::shared_ptr<const Handler> handler_;
};

}  // namespace gw::dp
