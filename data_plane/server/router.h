// Maps (method, path) to the pipeline that serves it. Every request gets a pipeline: an unknown
// path gets the 404 one and a known path with another method the 405 one, so local replies go
// through the same code (and later the same logging) as everything else. Built at startup, then
// read-only and shared by all threads.
//   router.Add(http::verb::get, "/v1/models", models_pipeline);
//   co_await router.Find(request.method(), request.target()).Run(ctx, respond);
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "boost/beast/http/verb.hpp"
#include "data_plane/pipeline/pipeline.h"

namespace gw::dp {

class Router {
 public:
  Router();

  // `path` is matched exactly, without the query string.
  void Add(boost::beast::http::verb method, std::string path,
           std::shared_ptr<const Pipeline> pipeline);

  // Stages (e.g. metering) that also run for requests no route serves (404, 405), before their
  // local reply. Call before serving starts.
  void SetUnroutedStages(std::vector<std::shared_ptr<const Stage>> stages);

  // `target` is the request target as received (a query string is ignored).
  const Pipeline& Find(boost::beast::http::verb method, absl::string_view target) const;

 private:
  using Methods = std::vector<std::pair<boost::beast::http::verb, std::shared_ptr<const Pipeline>>>;
  absl::flat_hash_map<std::string, Methods> routes_;
  std::shared_ptr<const Pipeline> not_found_;
  std::shared_ptr<const Pipeline> method_not_allowed_;
};

}  // namespace gw::dp
