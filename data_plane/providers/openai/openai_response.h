// The OpenAI adapter's response side: token usage from a non-streaming body, and a per-stream
// filter that reads each SSE event's data, takes the usage from the usage chunk and hides that
// chunk from clients that did not ask for it (the gateway forced include_usage for metering).
//   TokenUsage usage = ExtractOpenAiUsage(body);          // chat completion or embeddings
//
//   OpenAiStreamFilter filter(plan.client_wants_usage);
//   while (sse.Next(event)) {
//     if (filter.OnEvent(event.data) == StreamAction::kForward) AppendSseData(event.data, out);
//   }
//   filter.usage(); filter.saw_done();
#pragma once

#include "absl/strings/string_view.h"
#include "data_plane/providers/provider.h"
#include "data_plane/providers/token_usage.h"

namespace gw::dp {

// From a response body's top-level "usage" object (prompt_tokens, completion_tokens,
// total_tokens, prompt_tokens_details.cached_tokens). reported == false when the body is not
// JSON or has no usage object.
TokenUsage ExtractOpenAiUsage(absl::string_view body);

// From the text of a "usage" object itself.
TokenUsage ParseOpenAiUsageObject(absl::string_view usage_object);

enum class StreamAction {
  kForward,  // Send the event to the client as it is.
  kDrop,     // The usage chunk the client did not ask for.
};

// `data` is one event's data: a chunk object, an error object or "[DONE]". Updates `state`.
StreamAction ClassifyOpenAiStreamEvent(absl::string_view data, StreamState& state);

class OpenAiStreamFilter {
 public:
  explicit OpenAiStreamFilter(bool client_wants_usage) {
    state_.client_wants_usage = client_wants_usage;
  }

  StreamAction OnEvent(absl::string_view data) { return ClassifyOpenAiStreamEvent(data, state_); }

  // The last usage seen in the stream (the usage chunk); reported == false when none came.
  const TokenUsage& usage() const { return state_.usage; }
  // The provider ended the stream properly ("[DONE]").
  bool saw_done() const { return state_.saw_done; }
  // The provider sent an error event mid-stream ({"error": ...}).
  bool saw_error() const { return state_.saw_error; }

 private:
  StreamState state_;
};

}  // namespace gw::dp
