// Authenticates the gateway key of a request against the pinned snapshot: the key comes from
// `Authorization: Bearer <key>` or `x-api-key`, its SHA-256 is looked up in the snapshot's hash
// map (never a scan, never the plaintext), and its expiry is checked against the request's clock.
// On success ctx.key is set for the stages after it; otherwise a 401 authentication_error with
// code missing_api_key, invalid_api_key (unknown or revoked) or expired_api_key. Before the first
// snapshot the worker cannot know any key: 503. A key in the revocation slot (revoked at the
// control plane, its snapshot not applied yet) is refused like a revoked one.
//   Pipeline chat({std::make_shared<KeyAuthStage>(), ...}, handler);
#pragma once

#include "absl/strings/string_view.h"
#include "data_plane/config/key_revocation_slot.h"
#include "data_plane/pipeline/stage.h"

namespace gw::dp {

class KeyAuthStage final : public Stage {
 public:
  // `revocations` (may be null) must outlive the stage.
  explicit KeyAuthStage(const KeyRevocationSlot* revocations = nullptr)
      : revocations_(revocations) {}

  absl::string_view name() const override { return "key_auth"; }
  StageVerdict OnRequest(RequestContext& ctx) const override;

 private:
  const KeyRevocationSlot* const revocations_;
};

// The presented key: the Bearer credential of Authorization, else x-api-key; empty when neither.
absl::string_view PresentedApiKey(const HttpRequest& request);

}  // namespace gw::dp
