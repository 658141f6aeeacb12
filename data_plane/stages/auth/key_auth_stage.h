// Authenticates the gateway key of a request against the pinned snapshot: the key comes from
// `Authorization: Bearer <key>` or `x-api-key`, its SHA-256 is looked up in the snapshot's hash
// map (never a scan, never the plaintext), and its expiry is checked against the request's clock.
// On success ctx.key is set for the stages after it; otherwise a 401 authentication_error with
// code missing_api_key, invalid_api_key (unknown or revoked) or expired_api_key. Before the first
// snapshot the worker cannot know any key: 503.
//   Pipeline chat({std::make_shared<KeyAuthStage>(), ...}, handler);
#pragma once

#include "absl/strings/string_view.h"
#include "data_plane/pipeline/stage.h"

namespace gw::dp {

class KeyAuthStage final : public Stage {
 public:
  absl::string_view name() const override { return "key_auth"; }
  StageVerdict OnRequest(RequestContext& ctx) const override;
};

// The presented key: the Bearer credential of Authorization, else x-api-key; empty when neither.
absl::string_view PresentedApiKey(const HttpRequest& request);

}  // namespace gw::dp
