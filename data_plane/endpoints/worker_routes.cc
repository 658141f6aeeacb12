#include "data_plane/endpoints/worker_routes.h"

#include <utility>
#include <vector>

#include "data_plane/endpoints/budget_debug_handler.h"
#include "data_plane/endpoints/health_handlers.h"
#include "data_plane/endpoints/models_handler.h"
#include "data_plane/endpoints/provider_cache.h"
#include "data_plane/endpoints/upstream_handler.h"
#include "data_plane/stages/auth/key_auth_stage.h"
#include "data_plane/stages/limits/body_limit_stage.h"
#include "data_plane/stages/model/model_lookup_stage.h"
#include "data_plane/stages/parse/request_parse_stage.h"
#include "data_plane/stages/permission/model_permission_stage.h"
#include "data_plane/stages/request_limits/max_tokens_stage.h"
#include "data_plane/stages/usage/usage_stage.h"

namespace gw::dp {

std::unique_ptr<Router> BuildWorkerRouter(const WorkerRoutesOptions& options) {
  using boost::beast::http::verb;
  using Stages = std::vector<std::shared_ptr<const Stage>>;
  auto router = std::make_unique<Router>();

  // Shared by every endpoint that needs them; CONTRACTS.md's order: key, then body size.
  const auto key_auth = std::make_shared<KeyAuthStage>(options.key_revocations);
  const auto body_limit = std::make_shared<BodyLimitStage>(options.max_body_bytes);

  // The serving chains, in CONTRACTS.md's check order: key, body size, JSON, model exists,
  // permission, request limits; then the provider call.
  const auto chat_parse = std::make_shared<RequestParseStage>(ApiKind::kChatCompletions);
  const auto embeddings_parse = std::make_shared<RequestParseStage>(ApiKind::kEmbeddings);
  const auto model_lookup = std::make_shared<ModelLookupStage>();
  const auto model_permission = std::make_shared<ModelPermissionStage>();
  const auto max_tokens = std::make_shared<MaxTokensStage>();
  const auto providers = std::make_shared<ProviderCache>(options.upstream_timeouts);

  // Metering comes first in every serving chain, so its response hook runs last and sees every
  // outcome, refusals included; it meters /v1/* only (unknown paths under /v1/ too).
  Stages metered;
  if (options.usage_sink != nullptr) {
    metered.push_back(std::make_shared<UsageStage>(
        UsageStageOptions{.sink = options.usage_sink, .worker_id = options.worker_id}));
    router->SetUnroutedStages(metered);
  }
  const auto chain = [&metered](Stages stages) {
    stages.insert(stages.begin(), metered.begin(), metered.end());
    return stages;
  };

  router->Add(verb::get, "/healthz",
              std::make_shared<Pipeline>(Stages{}, std::make_shared<HealthzHandler>()));
  router->Add(verb::get, "/readyz",
              std::make_shared<Pipeline>(Stages{}, std::make_shared<ReadyzHandler>()));
  router->Add(verb::get, "/v1/models",
              std::make_shared<Pipeline>(chain({key_auth, body_limit}),
                                         std::make_shared<ListModelsHandler>()));
  router->Add(
      verb::post, "/v1/chat/completions",
      std::make_shared<Pipeline>(
          chain({key_auth, body_limit, chat_parse, model_lookup, model_permission, max_tokens}),
          std::make_shared<UpstreamHandler>(ApiKind::kChatCompletions, providers,
                                            options.upstream_client)));
  router->Add(verb::post, "/v1/embeddings",
              std::make_shared<Pipeline>(
                  chain({key_auth, body_limit, embeddings_parse, model_lookup, model_permission}),
                  std::make_shared<UpstreamHandler>(ApiKind::kEmbeddings, providers,
                                                    options.upstream_client)));
  if (options.budget_state != nullptr && !options.worker_token.empty()) {
    router->Add(
        verb::get, "/debug/budget",
        std::make_shared<Pipeline>(Stages{}, std::make_shared<BudgetDebugHandler>(
                                                 options.budget_state, options.worker_token)));
  }
  return router;
}

}  // namespace gw::dp
