// Refuses a request whose max_tokens (or max_completion_tokens) exceeds its team's
// max_tokens_per_request: 400 invalid_request_error, code max_tokens_exceeded. A team without
// the cap, or a request without max_tokens, passes. Runs after the permission stage.
//   Pipeline chat({..., permission, std::make_shared<MaxTokensStage>()}, handler);
#pragma once

#include "absl/strings/string_view.h"
#include "data_plane/pipeline/stage.h"

namespace gw::dp {

class MaxTokensStage final : public Stage {
 public:
  absl::string_view name() const override { return "max_tokens"; }
  StageVerdict OnRequest(RequestContext& ctx) const override;
};

}  // namespace gw::dp
