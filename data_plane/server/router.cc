#include "data_plane/server/router.h"

#include <utility>

#include "data_plane/endpoints/error_handlers.h"

namespace gw::dp {

Router::Router()
    : not_found_(std::make_shared<Pipeline>(std::vector<std::shared_ptr<const Stage>>{},
                                            std::make_shared<NotFoundHandler>())),
      method_not_allowed_(std::make_shared<Pipeline>(std::vector<std::shared_ptr<const Stage>>{},
                                                     std::make_shared<MethodNotAllowedHandler>())) {
}

void Router::SetUnroutedStages(std::vector<std::shared_ptr<const Stage>> stages) {
  not_found_ = std::make_shared<Pipeline>(stages, std::make_shared<NotFoundHandler>());
  method_not_allowed_ =
      std::make_shared<Pipeline>(std::move(stages), std::make_shared<MethodNotAllowedHandler>());
}

void Router::Add(boost::beast::http::verb method, std::string path,
                 std::shared_ptr<const Pipeline> pipeline) {
  routes_[std::move(path)].emplace_back(method, std::move(pipeline));
}

const Pipeline& Router::Find(boost::beast::http::verb method, absl::string_view target) const {
  const size_t query = target.find('?');
  if (query != absl::string_view::npos) target = target.substr(0, query);
  const auto it = routes_.find(target);
  if (it == routes_.end()) return *not_found_;
  for (const auto& [route_method, pipeline] : it->second) {
    if (route_method == method) return *pipeline;
  }
  return *method_not_allowed_;
}

}  // namespace gw::dp
