#include "data_plane/stages/auth/key_auth_stage.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "data_plane/http/openai_error.h"
#include "data_plane/stages/auth/key_digest.h"

namespace gw::dp {
namespace {

absl::string_view HeaderValue(const HttpRequest& request, absl::string_view name) {
  auto it = request.find(boost::beast::string_view(name.data(), name.size()));
  if (it == request.end()) return {};
  const auto value = it->value();
  return absl::StripAsciiWhitespace(absl::string_view(value.data(), value.size()));
}

}  // namespace

absl::string_view PresentedApiKey(const HttpRequest& request) {
  constexpr absl::string_view kBearer = "bearer ";
  const absl::string_view authorization = HeaderValue(request, "authorization");
  if (authorization.size() > kBearer.size() && absl::StartsWithIgnoreCase(authorization, kBearer)) {
    return absl::StripLeadingAsciiWhitespace(authorization.substr(kBearer.size()));
  }
  return HeaderValue(request, "x-api-key");
}

StageVerdict KeyAuthStage::OnRequest(RequestContext& ctx) const {
  if (ctx.snapshot == nullptr) {
    SetOpenAiError(ctx.response, 503, ErrorType::kApi, "config_not_loaded",
                   "The gateway has not received its configuration yet; retry shortly.");
    return StageVerdict::kRespond;
  }
  const absl::string_view key = PresentedApiKey(*ctx.request);
  if (key.empty()) {
    SetOpenAiError(ctx.response, 401, ErrorType::kAuthentication, "missing_api_key",
                   "You didn't provide an API key. Pass it as 'Authorization: Bearer <key>' or "
                   "in the 'x-api-key' header.");
    return StageVerdict::kRespond;
  }
  // On the stack: the digest is the only form of the key the gateway ever compares or keeps.
  const KeyDigest digest = DigestApiKey(key);
  const KeyInfo* info = ctx.snapshot->FindKeyByDigest(digest.view());
  if (info == nullptr || (revocations_ != nullptr && revocations_->IsRevoked(digest.view()))) {
    SetOpenAiError(ctx.response, 401, ErrorType::kAuthentication, "invalid_api_key",
                   "Incorrect API key provided.");
    return StageVerdict::kRespond;
  }
  if (info->ExpiredAt(ctx.received_at)) {
    SetOpenAiError(ctx.response, 401, ErrorType::kAuthentication, "expired_api_key",
                   "The API key has expired.");
    return StageVerdict::kRespond;
  }
  ctx.key = info;
  return StageVerdict::kContinue;
}

}  // namespace gw::dp
