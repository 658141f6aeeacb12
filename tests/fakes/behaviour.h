// What the fake provider does with a request: content source and fault injection. Set at startup
// by flags, replaced at run time by POST /_fake/behaviour, overridden per request by the body's
// "x_fake" object (same field names):  ApplyBehaviourJson(obj, behaviour) on a copy of defaults.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "boost/json/object.hpp"

namespace gw::testing {

struct Behaviour {
  // Anything other than 200 answers with OpenAI's error object and this status.
  int status = 200;
  // Overrides of the error object's fields; empty means OpenAI's usual text for the status.
  std::string error_message;
  std::string error_type;
  std::string error_code;
  // Retry-After seconds sent with 429 and 503.
  int64_t retry_after_s = 1;

  // Delay before the response head (time to first byte).
  int64_t first_byte_delay_ms = 0;
  // Never answer (the connection stays open until the client goes away).
  bool stall = false;
  // Streaming: stop sending after this many `data:` chunk events and hang.
  std::optional<int64_t> stall_after_chunks;
  // Streaming: after this many chunk events, reset the connection (RST). Non-streaming: reset
  // instead of answering.
  std::optional<int64_t> reset_after_chunks;
  // Non-streaming: send the full Content-Length but half the body, then close. Streaming: send
  // the content chunks, then close without the final chunk, usage, [DONE] or chunked terminator.
  bool truncate_body = false;

  // Streaming: number of content chunks (0: one per word) and pause between chunk events.
  int64_t chunks = 0;
  int64_t chunk_interval_ms = 0;

  // Content: `content` if set, else a generated text of `completion_tokens` words if set, else
  // the last user message echoed. Then cut to max_tokens / max_completion_tokens.
  std::optional<std::string> content;
  std::optional<int64_t> completion_tokens;
  // usage.prompt_tokens_details.cached_tokens (capped at prompt_tokens).
  int64_t cached_tokens = 0;
  // Embedding size when the request has no "dimensions".
  int64_t embedding_dimensions = 8;
};

// Sets every field present in `json` (the names above); rejects unknown names and wrong types,
// leaving `behaviour` partly updated on error (callers apply to a copy). `null` resets an
// optional field.
absl::Status ApplyBehaviourJson(const boost::json::object& json, Behaviour& behaviour);

boost::json::object BehaviourToJson(const Behaviour& behaviour);

}  // namespace gw::testing
