#include "data_plane/stages/limits/body_limit_stage.h"

#include "absl/strings/str_cat.h"
#include "data_plane/http/openai_error.h"

namespace gw::dp {

BodyLimitStage::BodyLimitStage(uint64_t max_body_bytes)
    : message_(absl::StrCat("The request body exceeds the limit of ", max_body_bytes, " bytes.")) {}

StageVerdict BodyLimitStage::OnRequest(RequestContext& ctx) const {
  if (!ctx.body_too_large) return StageVerdict::kContinue;
  SetOpenAiError(ctx.response, 413, ErrorType::kInvalidRequest, "request_too_large", message_);
  return StageVerdict::kRespond;
}

}  // namespace gw::dp
