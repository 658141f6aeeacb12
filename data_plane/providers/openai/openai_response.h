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

class OpenAiStreamFilter {
 public:
  explicit OpenAiStreamFilter(bool client_wants_usage) : client_wants_usage_(client_wants_usage) {}

  // `data` is one event's data: a chunk object, an error object or "[DONE]".
  StreamAction OnEvent(absl::string_view data);

  // The last usage seen in the stream (the usage chunk); reported == false when none came.
  const TokenUsage& usage() const { return usage_; }
  // The provider ended the stream properly ("[DONE]").
  bool saw_done() const { return saw_done_; }
  // The provider sent an error event mid-stream ({"error": ...}).
  bool saw_error() const { return saw_error_; }

 private:
  bool client_wants_usage_;
  TokenUsage usage_;
  bool saw_done_ = false;
  bool saw_error_ = false;
};

}  // namespace gw::dp
