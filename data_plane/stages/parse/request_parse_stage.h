// Checks that the body is one JSON object and reads the few fields the gateway needs into
// ctx.facts: model (a string), messages (an array, chat only), max_tokens and
// max_completion_tokens (non-negative integers), stream (a boolean) and
// stream_options.include_usage. Everything else stays unread and goes to the provider as sent.
// Refusals are 400 invalid_request_error (code invalid_json for a body that is not a JSON object).
//   Pipeline chat({auth, body_limit,
//   std::make_shared<RequestParseStage>(ApiKind::kChatCompletions),
//                  ...}, handler);
#pragma once

#include "absl/strings/string_view.h"
#include "data_plane/pipeline/stage.h"

namespace gw::dp {

class RequestParseStage final : public Stage {
 public:
  explicit RequestParseStage(ApiKind api) : api_(api) {}
  absl::string_view name() const override { return "request_parse"; }
  StageVerdict OnRequest(RequestContext& ctx) const override;

 private:
  ApiKind api_;
};

}  // namespace gw::dp
