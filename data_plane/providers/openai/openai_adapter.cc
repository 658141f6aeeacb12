#include "data_plane/providers/openai/openai_adapter.h"

#include <utility>

#include "data_plane/providers/openai/openai_response.h"

namespace gw::dp {

absl::Status OpenAiAdapter::Plan(ApiKind api, absl::string_view body, const JsonObjectScan& scan,
                                 absl::string_view upstream_model, absl::string_view request_id,
                                 RequestPlan& plan) const {
  switch (api) {
    case ApiKind::kChatCompletions:
      return PlanChatCompletion(config_, body, scan, upstream_model, request_id, plan);
    case ApiKind::kEmbeddings:
      return PlanEmbeddings(config_, body, scan, upstream_model, request_id, plan);
  }
  return absl::InvalidArgumentError("unsupported API");
}

TokenUsage OpenAiAdapter::ExtractUsage(ApiKind, absl::string_view body) const {
  return ExtractOpenAiUsage(body);
}

void OpenAiAdapter::OnStreamEvent(const SseEvent& event, StreamState& state,
                                  std::string& out) const {
  if (ClassifyOpenAiStreamEvent(event.data, state) == StreamAction::kForward) {
    AppendSseData(event.data, out);
  }
}

ProviderError OpenAiAdapter::MapErrorResponse(int status, absl::string_view body,
                                              absl::string_view retry_after) const {
  return ProviderErrorFromResponse(status, body, retry_after, config_.name, config_.credential);
}

absl::StatusOr<std::unique_ptr<const Provider>> MakeOpenAiAdapter(
    absl::string_view name, absl::string_view base_url, absl::string_view credential,
    const UpstreamTimeouts& timeouts) {
  absl::StatusOr<OpenAiProvider> config = MakeOpenAiProvider(name, base_url, credential, timeouts);
  if (!config.ok()) return config.status();
  return std::make_unique<const OpenAiAdapter>(*std::move(config));
}

}  // namespace gw::dp
