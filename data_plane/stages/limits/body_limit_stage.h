// Answers 413 for a request whose body went over the server's limit. The server stops reading
// such a body but still runs the pipeline, so that routing (404) and auth (401) answer first, as
// CONTRACTS.md orders the checks; place this stage right after auth.
//   Pipeline p({auth, std::make_shared<BodyLimitStage>(32 << 20)}, handler);
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "data_plane/pipeline/stage.h"

namespace gw::dp {

class BodyLimitStage final : public Stage {
 public:
  explicit BodyLimitStage(uint64_t max_body_bytes);
  absl::string_view name() const override { return "body_limit"; }
  StageVerdict OnRequest(RequestContext& ctx) const override;

 private:
  std::string message_;  // Built once: the limit never changes.
};

}  // namespace gw::dp
