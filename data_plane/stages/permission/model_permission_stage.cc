#include "data_plane/stages/permission/model_permission_stage.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "data_plane/http/openai_error.h"

namespace gw::dp {

StageVerdict ModelPermissionStage::OnRequest(RequestContext& ctx) const {
  const std::vector<std::string>& allowed = ctx.key->models->names;  // Sorted.
  if (std::binary_search(allowed.begin(), allowed.end(), ctx.facts.model)) {
    return StageVerdict::kContinue;
  }
  SetOpenAiError(
      ctx.response, 403, ErrorType::kPermission, "model_not_allowed",
      absl::StrCat("This API key is not allowed to use the model '", ctx.facts.model, "'."));
  return StageVerdict::kRespond;
}

}  // namespace gw::dp
