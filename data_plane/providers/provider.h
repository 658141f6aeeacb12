// What the serving pipeline sees of a provider type: one Provider per configured provider,
// compiled once per snapshot (provider_registry.h makes it from the config), shared read-only by
// every request. Per request it plans the upstream request, reads usage from a buffered body,
// turns each upstream stream event into what the client sees, and maps provider refusals to the
// OpenAI error shape. Adapters keep per-request state in RequestPlan and StreamState, which the
// caller owns and reuses, so nothing here allocates per request on the OpenAI path.
//
//   RequestPlan plan;                       // per connection, reused
//   GW_RETURN_IF_ERROR(provider.Plan(ApiKind::kChatCompletions, body, scan, upstream_model,
//                                    request_id, plan));
//   UpstreamCall call(client);
//   auto head = co_await call.Send(plan.ToUpstreamRequest());
//   if (!head.ok()) -> provider.MapFailure(head.status())
//   if (head->status >= 400) -> ReadAll, provider.MapErrorResponse(...)
//   buffered:  ReadAll(body); usage = provider.ExtractUsage(api, body)
//   streaming: StreamState state{.client_wants_usage = plan.client_wants_usage};
//              for each chunk: sse.Feed(chunk); while (sse.Next(event))
//                provider.OnStreamEvent(event, state, out);   // write `out` to the client
#pragma once

#include <string>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "data_plane/providers/json_scan.h"
#include "data_plane/providers/provider_error.h"
#include "data_plane/providers/sse_parser.h"
#include "data_plane/providers/token_usage.h"
#include "data_plane/upstream/upstream_client.h"
#include "data_plane/upstream/upstream_endpoint.h"
#include "data_plane/upstream/upstream_timeouts.h"

namespace gw::dp {

enum class ApiKind { kChatCompletions, kEmbeddings };

// One upstream request: body pieces, headers, target. Pieces point into the client's body, into
// the plan, into static text and into the provider: all of them must outlive the upstream Send.
struct RequestPlan {
  absl::InlinedVector<absl::string_view, 8> body;
  absl::InlinedVector<UpstreamHeader, 6> headers;
  std::string model_json;  // Storage: the upstream model name as a JSON string.
  std::string owned_body;  // Storage for adapters that rewrite the body rather than splice it.
  const UpstreamEndpoint* endpoint = nullptr;
  absl::string_view path;
  UpstreamTimeouts timeouts;
  bool stream = false;
  // Whether the client itself asked for usage in the stream (OpenAI's include_usage); the
  // gateway always asks upstream, for metering.
  bool client_wants_usage = false;

  UpstreamRequest ToUpstreamRequest() const;
  size_t body_size() const;
};

// What one stream has shown so far; the caller keeps it for the stream's life.
struct StreamState {
  bool client_wants_usage = false;
  TokenUsage usage;        // The latest usage the stream reported.
  bool saw_done = false;   // The provider ended the stream properly.
  bool saw_error = false;  // The provider sent an error event.
  // Events carrying a non-empty piece of the answer. OpenAI streams about one token per content
  // delta, so this is the output estimate when a stream ends without the provider's usage.
  int64_t content_deltas = 0;
};

class Provider {
 public:
  virtual ~Provider() = default;

  virtual absl::string_view name() const = 0;

  // INVALID_ARGUMENT for a body this provider type cannot take (no model, unsupported API).
  virtual absl::Status Plan(ApiKind api, absl::string_view body, const JsonObjectScan& scan,
                            absl::string_view upstream_model, absl::string_view request_id,
                            RequestPlan& plan) const = 0;

  // Usage from a successful buffered response body.
  virtual TokenUsage ExtractUsage(ApiKind api, absl::string_view body) const = 0;

  // One upstream event: appends what the client gets (OpenAI SSE, possibly nothing) to `out`.
  virtual void OnStreamEvent(const SseEvent& event, StreamState& state, std::string& out) const = 0;

  // The provider answered with `status` >= 400.
  virtual ProviderError MapErrorResponse(int status, absl::string_view body,
                                         absl::string_view retry_after) const = 0;

  // The call got no usable response (UpstreamCall's status).
  ProviderError MapFailure(const absl::Status& status) const {
    return ProviderErrorFromStatus(status, name());
  }
};

}  // namespace gw::dp
