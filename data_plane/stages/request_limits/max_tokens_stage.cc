#include "data_plane/stages/request_limits/max_tokens_stage.h"

#include "absl/strings/str_cat.h"
#include "data_plane/http/openai_error.h"

namespace gw::dp {

StageVerdict MaxTokensStage::OnRequest(RequestContext& ctx) const {
  const gateway::config::v1::Team& team = *ctx.key->team;
  if (!ctx.facts.max_tokens || !team.has_max_tokens_per_request()) {
    return StageVerdict::kContinue;
  }
  const int64_t cap = team.max_tokens_per_request().value();
  if (*ctx.facts.max_tokens <= cap) return StageVerdict::kContinue;
  SetOpenAiError(ctx.response, 400, ErrorType::kInvalidRequest, "max_tokens_exceeded",
                 absl::StrCat("max_tokens is ", *ctx.facts.max_tokens,
                              ", over this team's limit of ", cap, " tokens per request."));
  return StageVerdict::kRespond;
}

}  // namespace gw::dp
