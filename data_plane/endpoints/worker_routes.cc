#include "data_plane/endpoints/worker_routes.h"

#include <utility>
#include <vector>

#include "data_plane/endpoints/health_handlers.h"
#include "data_plane/endpoints/models_handler.h"
#include "data_plane/stages/auth/key_auth_stage.h"
#include "data_plane/stages/limits/body_limit_stage.h"

namespace gw::dp {

std::unique_ptr<Router> BuildWorkerRouter(const WorkerRoutesOptions& options) {
  using boost::beast::http::verb;
  using Stages = std::vector<std::shared_ptr<const Stage>>;
  auto router = std::make_unique<Router>();

  // Shared by every endpoint that needs them; CONTRACTS.md's order: key, then body size.
  const auto key_auth = std::make_shared<KeyAuthStage>();
  const auto body_limit = std::make_shared<BodyLimitStage>(options.max_body_bytes);

  router->Add(verb::get, "/healthz",
              std::make_shared<Pipeline>(Stages{}, std::make_shared<HealthzHandler>()));
  router->Add(verb::get, "/readyz",
              std::make_shared<Pipeline>(Stages{}, std::make_shared<ReadyzHandler>()));
  router->Add(verb::get, "/v1/models",
              std::make_shared<Pipeline>(Stages{key_auth, body_limit},
                                         std::make_shared<ListModelsHandler>()));
  return router;
}

}  // namespace gw::dp
