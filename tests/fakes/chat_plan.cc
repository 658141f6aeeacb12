#include "tests/fakes/chat_plan.h"

#include <algorithm>
#include <array>

#include "tests/fakes/token_count.h"

namespace gw::testing {
namespace {

namespace json = boost::json;

ApiError BadRequest(std::string message, std::string param, std::string code = "") {
  ApiError e;
  e.status = 400;
  e.type = "invalid_request_error";
  e.message = std::move(message);
  e.param = std::move(param);
  e.code = std::move(code);
  return e;
}

std::string_view View(const json::string& s) { return {s.data(), s.size()}; }

// Text of a message's content: a string, or an array of parts whose "text" fields count.
int64_t ContentTokens(const json::value& content) {
  if (const json::string* s = content.if_string()) return CountTokens(View(*s));
  int64_t tokens = 0;
  if (const json::array* parts = content.if_array()) {
    for (const json::value& part : *parts) {
      const json::object* obj = part.if_object();
      if (obj == nullptr) continue;
      if (const json::value* text = obj->if_contains("text"); text && text->is_string()) {
        tokens += CountTokens(View(text->get_string()));
      }
    }
  }
  return tokens;
}

std::optional<int64_t> ReadTokenLimit(const json::object& body, std::string_view name,
                                      std::optional<ApiError>& error) {
  const json::value* v = body.if_contains(name);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (v->is_int64() && v->get_int64() >= 0) return v->get_int64();
  if (v->is_uint64()) return static_cast<int64_t>(std::min<uint64_t>(v->get_uint64(), INT64_MAX));
  error = BadRequest("Invalid '" + std::string(name) + "': expected an integer >= 0.",
                     std::string(name), "integer_below_min_value");
  return std::nullopt;
}

}  // namespace

std::optional<ApiError> ReadChatRequest(const json::object& body, ChatRequest& out) {
  const json::value* model = body.if_contains("model");
  if (model == nullptr || !model->is_string() || model->get_string().empty()) {
    return BadRequest("you must provide a model parameter", "");
  }
  out.model = View(model->get_string());

  const json::value* messages = body.if_contains("messages");
  if (messages == nullptr) {
    return BadRequest("Missing required parameter: 'messages'.", "messages",
                      "missing_required_parameter");
  }
  const json::array* list = messages->if_array();
  if (list == nullptr || list->empty()) {
    return BadRequest("Invalid 'messages': expected a non-empty array.", "messages",
                      "invalid_type");
  }
  const json::object* last_user = nullptr;
  int64_t last_user_tokens = 0;
  for (const json::value& m : *list) {
    const json::object* message = m.if_object();
    const json::value* role = message ? message->if_contains("role") : nullptr;
    if (role == nullptr || !role->is_string()) {
      return BadRequest("Invalid 'messages': every message needs a string 'role'.", "messages",
                        "invalid_type");
    }
    int64_t tokens = 0;
    if (const json::value* content = message->if_contains("content")) {
      tokens = ContentTokens(*content);
    }
    out.prompt_tokens += tokens;
    if (role->get_string() == "user") {
      last_user = message;
      last_user_tokens = tokens;
    }
  }
  if (last_user != nullptr) {
    out.last_user_content = last_user->if_contains("content");
    out.last_user_tokens = last_user_tokens;
  }

  if (const json::value* stream = body.if_contains("stream"); stream && !stream->is_null()) {
    if (!stream->is_bool()) return BadRequest("Invalid 'stream': expected a boolean.", "stream");
    out.stream = stream->get_bool();
  }
  if (const json::value* options = body.if_contains("stream_options");
      options && !options->is_null()) {
    const json::object* obj = options->if_object();
    if (obj == nullptr) {
      return BadRequest("Invalid 'stream_options': expected an object.", "stream_options");
    }
    if (!out.stream) {
      return BadRequest("The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                        "stream_options");
    }
    if (const json::value* usage = obj->if_contains("include_usage"); usage && usage->is_bool()) {
      out.include_usage = usage->get_bool();
    }
  }

  std::optional<ApiError> error;
  std::optional<int64_t> max_completion = ReadTokenLimit(body, "max_completion_tokens", error);
  if (error) return error;
  std::optional<int64_t> max_tokens = ReadTokenLimit(body, "max_tokens", error);
  if (error) return error;
  out.max_tokens = max_completion ? max_completion : max_tokens;
  return std::nullopt;
}

std::string ContentText(const json::value& content) {
  if (const json::string* s = content.if_string()) return std::string(View(*s));
  std::string out;
  if (const json::array* parts = content.if_array()) {
    for (const json::value& part : *parts) {
      const json::object* obj = part.if_object();
      const json::value* text = obj ? obj->if_contains("text") : nullptr;
      if (text == nullptr || !text->is_string()) continue;
      if (!out.empty()) out.push_back('\n');
      out.append(View(text->get_string()));
    }
  }
  return out;
}

std::string GeneratedText(int64_t tokens) {
  static constexpr std::array<std::string_view, 19> kWords = {
      "lorem",  "ipsum", "dolor",  "sit",     "amet",   "consectetur", "adipiscing",
      "elit",   "sed",   "do",     "eiusmod", "tempor", "incididunt",  "ut",
      "labore", "et",    "dolore", "magna",   "aliqua"};
  std::string out;
  out.reserve(static_cast<size_t>(std::max<int64_t>(tokens, 0)) * 7);
  for (int64_t i = 0; i < tokens; ++i) {
    if (i > 0) out.push_back(' ');
    out.append(kWords[static_cast<size_t>(i) % kWords.size()]);
  }
  return out;
}

ChatPlan PlanChat(const ChatRequest& request, const Behaviour& behaviour) {
  ChatPlan plan;
  // The echo's and the generated text's word counts are known: counting is the costliest part
  // of a benchmark request after the JSON parse.
  if (behaviour.content) {
    plan.content = *behaviour.content;
    plan.completion_tokens = CountTokens(plan.content);
  } else if (behaviour.completion_tokens) {
    plan.content = GeneratedText(*behaviour.completion_tokens);
    plan.completion_tokens = *behaviour.completion_tokens;
  } else if (request.last_user_content) {
    // Parts are joined with "\n", so the joined text has the parts' words and no more.
    plan.content = ContentText(*request.last_user_content);
    plan.completion_tokens = request.last_user_tokens;
  }
  plan.finish_reason = "stop";
  if (request.max_tokens && plan.completion_tokens > *request.max_tokens) {
    plan.content.resize(TruncateToTokens(plan.content, *request.max_tokens).size());
    plan.completion_tokens = *request.max_tokens;
    plan.finish_reason = "length";
  }
  plan.prompt_tokens = request.prompt_tokens;
  plan.cached_tokens = std::min(behaviour.cached_tokens, plan.prompt_tokens);
  return plan;
}

}  // namespace gw::testing
