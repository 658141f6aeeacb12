// The OpenAI adapter's request side, for `openai` and `openai-compatible` providers: a provider
// compiled once per snapshot (endpoint, paths, the Authorization value), and per request a plan
// that sends the client's body unchanged except for the spliced fields: `model` becomes the
// upstream model name and, for streams, `stream_options.include_usage` is forced to true so every
// stream is metered (remembering whether the client asked, to hide the usage chunk otherwise).
//   GW_ASSIGN_OR_RETURN(OpenAiProvider provider,
//                       MakeOpenAiProvider("openai-main", "https://api.openai.com/v1", key));
//   JsonObjectScan scan;  GW_RETURN_IF_ERROR(ScanJsonObject(body, scan));
//   OpenAiRequestPlan plan;   // reusable: keeps its capacity
//   GW_RETURN_IF_ERROR(PlanChatCompletion(provider, body, scan, "gpt-4o-2024-08-06",
//                                         request_id, plan));
//   UpstreamRequest request = plan.ToUpstreamRequest();
// OpenAiAdapter (openai_adapter.h) puts these behind the Provider interface.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "data_plane/providers/json_scan.h"
#include "data_plane/providers/provider.h"
#include "data_plane/upstream/upstream_client.h"
#include "data_plane/upstream/upstream_endpoint.h"
#include "data_plane/upstream/upstream_timeouts.h"

namespace gw::dp {

struct OpenAiProvider {
  std::string name;
  UpstreamEndpoint endpoint;
  std::string chat_completions_path;  // base path + "/chat/completions"
  std::string embeddings_path;        // base path + "/embeddings"
  // "Bearer <credential>", or empty for servers that need none. A secret: never log it.
  std::string authorization;
  std::string credential;  // The bare credential, to redact it from echoed error bodies.
  UpstreamTimeouts timeouts;
};

// INVALID_ARGUMENT for a bad base URL or a credential that cannot go into a header (control
// characters, spaces); the message never contains the credential.
absl::StatusOr<OpenAiProvider> MakeOpenAiProvider(absl::string_view name,
                                                  absl::string_view base_url,
                                                  absl::string_view credential,
                                                  const UpstreamTimeouts& timeouts = {});

// The plan type is shared by every provider type.
using OpenAiRequestPlan = RequestPlan;

// POST /v1/chat/completions. `scan` is the scan of `body`. INVALID_ARGUMENT when the body has
// no "model". `request_id` must be a validated id (no CR/LF).
absl::Status PlanChatCompletion(const OpenAiProvider& provider, absl::string_view body,
                                const JsonObjectScan& scan, absl::string_view upstream_model,
                                absl::string_view request_id, OpenAiRequestPlan& plan);

// POST /v1/embeddings: only the model is spliced.
absl::Status PlanEmbeddings(const OpenAiProvider& provider, absl::string_view body,
                            const JsonObjectScan& scan, absl::string_view upstream_model,
                            absl::string_view request_id, OpenAiRequestPlan& plan);

}  // namespace gw::dp
