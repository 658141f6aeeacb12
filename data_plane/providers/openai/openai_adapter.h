// The Provider for `openai` and `openai-compatible` providers (OpenAI, Azure OpenAI's v1 API,
// vLLM, Ollama, ...): the body goes through spliced, streams are forwarded event by event with
// the forced usage chunk hidden from clients that did not ask for it.
//   GW_ASSIGN_OR_RETURN(std::unique_ptr<const Provider> p,
//                       MakeOpenAiAdapter("openai-main", "https://api.openai.com/v1", key));
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "data_plane/providers/openai/openai_provider.h"
#include "data_plane/providers/provider.h"

namespace gw::dp {

class OpenAiAdapter final : public Provider {
 public:
  explicit OpenAiAdapter(OpenAiProvider config) : config_(std::move(config)) {}

  absl::string_view name() const override { return config_.name; }
  absl::Status Plan(ApiKind api, absl::string_view body, const JsonObjectScan& scan,
                    absl::string_view upstream_model, absl::string_view request_id,
                    RequestPlan& plan) const override;
  TokenUsage ExtractUsage(ApiKind api, absl::string_view body) const override;
  void OnStreamEvent(const SseEvent& event, StreamState& state, std::string& out) const override;
  ProviderError MapErrorResponse(int status, absl::string_view body,
                                 absl::string_view retry_after) const override;

  const OpenAiProvider& config() const { return config_; }

 private:
  OpenAiProvider config_;
};

// INVALID_ARGUMENT as MakeOpenAiProvider.
absl::StatusOr<std::unique_ptr<const Provider>> MakeOpenAiAdapter(
    absl::string_view name, absl::string_view base_url, absl::string_view credential,
    const UpstreamTimeouts& timeouts = {});

}  // namespace gw::dp
