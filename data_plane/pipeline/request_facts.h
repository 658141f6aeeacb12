// What the gateway read from a request body (the parse stage fills it for later stages and the
// upstream handler) and what it learned while serving it (the upstream handler fills UsageFacts
// for the completion hooks, e.g. the usage stage's OnComplete). Nothing else of the body is
// parsed: unknown fields go to the provider as the client sent them.
//   if (ctx.facts.max_tokens && *ctx.facts.max_tokens > cap) ...
//   ctx.usage.ReadDeferredTokens(ctx.response.body);  // once the response is written
//   ctx.usage.tokens.completion_tokens
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "data_plane/providers/json_scan.h"
#include "data_plane/providers/provider.h"
#include "data_plane/providers/token_usage.h"

namespace gw::dp {

struct RequestFacts {
  bool parsed = false;  // The body was a JSON object and the fields below are valid.
  ApiKind api = ApiKind::kChatCompletions;
  JsonObjectScan scan;  // Where each top-level member of the body sits (for splicing).
  std::string model;    // Decoded "model".
  // The larger of max_tokens and max_completion_tokens when either is given.
  std::optional<int64_t> max_tokens;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage as the client sent it.

  void Reset() {
    parsed = false;
    api = ApiKind::kChatCompletions;
    scan.members.clear();
    model.clear();
    max_tokens.reset();
    stream = false;
    include_usage = false;
  }
};

// The upstream call's outcome, for metering and logs. `status` is what the client got (499 when
// the client went away first).
struct UsageFacts {
  bool attempted = false;  // An upstream call was made.
  std::string provider;
  std::string upstream_model;
  TokenUsage tokens;  // reported == false when the provider sent no usage.
  // A buffered success leaves its usage in the response body, to be read once the response is
  // written (the answer does not wait for it): the provider that reads it (holding its provider
  // set alive) and the API it answered.
  std::shared_ptr<const Provider> deferred_usage_reader;
  ApiKind deferred_usage_api = ApiKind::kChatCompletions;
  // For a stream without the provider's usage: the content deltas it forwarded (about one token
  // each), which the usage stage reports as estimated output tokens.
  int64_t streamed_content_deltas = 0;
  unsigned status = 0;
  bool streamed = false;
  bool failed = false;  // The call failed (also a stream that broke after its first byte).
  absl::Duration latency = absl::ZeroDuration();             // Request received -> last byte.
  absl::Duration time_to_first_byte = absl::ZeroDuration();  // Request received -> first byte.

  // Fills `tokens` from `body` when the reading was deferred; then does nothing.
  void ReadDeferredTokens(absl::string_view body) {
    if (deferred_usage_reader == nullptr) return;
    tokens = deferred_usage_reader->ExtractUsage(deferred_usage_api, body);
    deferred_usage_reader.reset();
  }

  void Reset() { *this = UsageFacts(); }
};

}  // namespace gw::dp
