// Refuses a model the key may not use: its team's allowed models narrowed by the key's own list
// (compiled once per snapshot into KeyInfo::models). 403 permission_error, code
// model_not_allowed. Runs after the key auth and model lookup stages.
//   Pipeline chat({auth, ..., lookup, std::make_shared<ModelPermissionStage>(), ...}, handler);
#pragma once

#include "absl/strings/string_view.h"
#include "data_plane/pipeline/stage.h"

namespace gw::dp {

class ModelPermissionStage final : public Stage {
 public:
  absl::string_view name() const override { return "model_permission"; }
  StageVerdict OnRequest(RequestContext& ctx) const override;
};

}  // namespace gw::dp
