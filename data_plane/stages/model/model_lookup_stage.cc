#include "data_plane/stages/model/model_lookup_stage.h"

#include "absl/strings/str_cat.h"
#include "data_plane/http/openai_error.h"

namespace gw::dp {

StageVerdict ModelLookupStage::OnRequest(RequestContext& ctx) const {
  ctx.model = ctx.snapshot->FindModel(ctx.facts.model);
  if (ctx.model != nullptr) return StageVerdict::kContinue;
  SetOpenAiError(ctx.response, 404, ErrorType::kInvalidRequest, "model_not_found",
                 absl::StrCat("The model '", ctx.facts.model, "' does not exist."));
  return StageVerdict::kRespond;
}

}  // namespace gw::dp
