// What the fake answers to one chat completion request: the fields it reads from the request,
// and the content, finish reason and usage it derives from them and the Behaviour.
//   ChatRequest req; if (auto err = ReadChatRequest(body, req)) ...; ChatPlan p = PlanChat(req, b);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "boost/json/object.hpp"
#include "boost/json/value.hpp"
#include "tests/fakes/api_error.h"
#include "tests/fakes/behaviour.h"

namespace gw::testing {

// Views into the parsed request body, which must outlive this.
struct ChatRequest {
  std::string_view model;
  bool stream = false;
  bool include_usage = false;         // stream_options.include_usage
  std::optional<int64_t> max_tokens;  // max_completion_tokens, else max_tokens
  int64_t prompt_tokens = 0;          // sum of CountTokens over every message's text
  // "content" of the last "user" message, or null: what the fake echoes by default.
  const boost::json::value* last_user_content = nullptr;
  int64_t last_user_tokens = 0;  // CountTokens of that content
};

// The error OpenAI would answer for a malformed request, or nullopt. Validates model, messages
// (non-empty array of objects with a role), stream, stream_options and the max token fields.
std::optional<ApiError> ReadChatRequest(const boost::json::object& body, ChatRequest& out);

struct ChatPlan {
  std::string content;
  std::string_view finish_reason;  // "stop" or "length"
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;
};

ChatPlan PlanChat(const ChatRequest& request, const Behaviour& behaviour);

// A message content's text: the string itself, or the "text" of its parts joined by "\n".
std::string ContentText(const boost::json::value& content);

// "lorem ipsum dolor ..." with exactly `tokens` words.
std::string GeneratedText(int64_t tokens);

}  // namespace gw::testing
