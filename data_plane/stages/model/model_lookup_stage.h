// Finds the requested model (ctx.facts.model, a public model name) in the pinned snapshot and
// sets ctx.model; an unknown model is 404 invalid_request_error, code model_not_found. Runs after
// the parse stage.
//   Pipeline chat({auth, body_limit, parse, std::make_shared<ModelLookupStage>(), ...}, handler);
#pragma once

#include "absl/strings/string_view.h"
#include "data_plane/pipeline/stage.h"

namespace gw::dp {

class ModelLookupStage final : public Stage {
 public:
  absl::string_view name() const override { return "model_lookup"; }
  StageVerdict OnRequest(RequestContext& ctx) const override;
};

}  // namespace gw::dp
