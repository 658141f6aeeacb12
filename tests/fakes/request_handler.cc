#include "tests/fakes/request_handler.h"

#include <array>
#include <cctype>
#include <ctime>
#include <utility>
#include <vector>

#include "boost/json/monotonic_resource.hpp"
#include "boost/json/parse.hpp"
#include "boost/json/parser.hpp"
#include "boost/json/serialize.hpp"
#include "common/api_key.h"
#include "tests/fakes/api_error.h"
#include "tests/fakes/chat_plan.h"
#include "tests/fakes/json_text.h"
#include "tests/fakes/token_count.h"

namespace gw::testing {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

std::string_view View(const json::string& s) { return {s.data(), s.size()}; }
std::string_view View(boost::beast::string_view s) { return {s.data(), s.size()}; }
absl::string_view ToAbsl(std::string_view s) { return {s.data(), s.size()}; }

void SetError(Reply& reply, const ApiError& error) {
  reply.status = error.status;
  reply.body.clear();
  AppendApiErrorJson(reply.body, error);
  if (error.status == 429 || error.status == 503) {
    reply.extra_headers.append("Retry-After: ");
    AppendInt(reply.extra_headers, reply.behaviour ? reply.behaviour->retry_after_s : 1);
    reply.extra_headers.append("\r\n");
  }
  if (error.status == 429) {
    reply.extra_headers.append(
        "x-ratelimit-limit-requests: 60\r\nx-ratelimit-remaining-requests: 0\r\n"
        "x-ratelimit-reset-requests: 1s\r\n");
  }
}

ApiError InvalidRequest(int status, std::string message, std::string param = "",
                        std::string code = "") {
  ApiError e;
  e.status = status;
  e.type = "invalid_request_error";
  e.message = std::move(message);
  e.param = std::move(param);
  e.code = std::move(code);
  return e;
}

ApiError InjectedError(const Behaviour& b) {
  ApiError e = DefaultApiError(b.status);
  if (!b.error_message.empty()) e.message = b.error_message;
  if (!b.error_type.empty()) e.type = b.error_type;
  if (!b.error_code.empty()) e.code = b.error_code;
  return e;
}

void SetJson(Reply& reply, const json::value& value) {
  reply.status = 200;
  reply.body = json::serialize(value);
}

void RecordRequest(const FakeHttpRequest& request, Recorder& recorder) {
  RecordedRequest r;
  r.method = std::string(View(request.method_string()));
  r.target = std::string(View(request.target()));
  for (const auto& field : request) {
    std::string name(View(field.name_string()));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers.emplace_back(std::move(name), std::string(View(field.value())));
  }
  r.body = request.body();
  recorder.Record(std::move(r));
}

bool Authorized(const FakeHttpRequest& request, const std::string& expected_key, ApiError& error) {
  if (expected_key.empty()) return true;
  const std::string_view header = View(request[http::field::authorization]);
  constexpr std::string_view kBearer = "Bearer ";
  if (header.empty()) {
    error = InvalidRequest(401,
                           "You didn't provide an API key. You need to provide your API key in an "
                           "Authorization header using Bearer auth (i.e. Authorization: Bearer "
                           "YOUR_KEY).");
    return false;
  }
  if (header.substr(0, kBearer.size()) != kBearer ||
      !ConstantTimeEquals(ToAbsl(header.substr(kBearer.size())), expected_key)) {
    error = InvalidRequest(401, "Incorrect API key provided.", "", "invalid_api_key");
    return false;
  }
  return true;
}

void HandleChat(const json::object& body, Reply& reply, FakeStats& stats) {
  ChatRequest chat;
  if (std::optional<ApiError> error = ReadChatRequest(body, chat)) {
    SetError(reply, *error);
    return;
  }
  ChatPlan plan = PlanChat(chat, *reply.behaviour);
  const int64_t created = static_cast<int64_t>(std::time(nullptr));
  if (chat.stream) {
    stats.chat_streams.fetch_add(1, std::memory_order_relaxed);
    reply.content_type = "text/event-stream; charset=utf-8";
    reply.stream.emplace(NewCompletionId(), created, chat.model, std::move(plan),
                         chat.include_usage, reply.behaviour->chunks);
    return;
  }
  stats.chat_completions.fetch_add(1, std::memory_order_relaxed);
  AppendChatCompletion(reply.body, NewCompletionId(), created, chat.model, plan);
}

void HandleEmbeddings(const json::object& body, Reply& reply, FakeStats& stats) {
  const json::value* model = body.if_contains("model");
  if (model == nullptr || !model->is_string() || model->get_string().empty()) {
    SetError(reply, InvalidRequest(400, "you must provide a model parameter"));
    return;
  }
  const json::value* input = body.if_contains("input");
  if (input == nullptr) {
    SetError(reply, InvalidRequest(400, "Missing required parameter: 'input'.", "input",
                                   "missing_required_parameter"));
    return;
  }
  std::vector<EmbeddingInput> inputs;
  const ApiError bad_input = InvalidRequest(
      400, "'$.input' is invalid. Expected a string, an array of strings or of token arrays.",
      "input", "invalid_type");
  auto token_array = [](const json::array& tokens, EmbeddingInput& out) {
    for (const json::value& t : tokens) {
      if (!t.is_int64() && !t.is_uint64()) return false;
      if (!out.text.empty()) out.text.push_back(' ');
      out.text += json::serialize(t);
      ++out.tokens;
    }
    return true;
  };
  if (const json::string* s = input->if_string()) {
    inputs.push_back({std::string(View(*s)), CountTokens(View(*s))});
  } else if (const json::array* list = input->if_array(); list && !list->empty()) {
    if (list->front().is_int64() || list->front().is_uint64()) {
      EmbeddingInput one;
      if (!token_array(*list, one)) return SetError(reply, bad_input);
      inputs.push_back(std::move(one));
    } else {
      for (const json::value& item : *list) {
        EmbeddingInput one;
        if (const json::string* text = item.if_string()) {
          one.text = std::string(View(*text));
          one.tokens = CountTokens(one.text);
        } else if (const json::array* tokens = item.if_array()) {
          if (!token_array(*tokens, one)) return SetError(reply, bad_input);
        } else {
          return SetError(reply, bad_input);
        }
        inputs.push_back(std::move(one));
      }
    }
  } else {
    return SetError(reply, bad_input);
  }
  int64_t dimensions = reply.behaviour->embedding_dimensions;
  if (const json::value* d = body.if_contains("dimensions"); d && !d->is_null()) {
    if (!d->is_int64() || d->get_int64() < 1 || d->get_int64() > 65536) {
      return SetError(reply, InvalidRequest(400, "Invalid 'dimensions': expected an integer >= 1.",
                                            "dimensions", "integer_below_min_value"));
    }
    dimensions = d->get_int64();
  }
  bool base64 = false;
  if (const json::value* f = body.if_contains("encoding_format"); f && !f->is_null()) {
    if (!f->is_string() || (f->get_string() != "float" && f->get_string() != "base64")) {
      return SetError(
          reply, InvalidRequest(400, "Invalid 'encoding_format': expected 'float' or 'base64'.",
                                "encoding_format", "invalid_value"));
    }
    base64 = f->get_string() == "base64";
  }
  stats.embeddings.fetch_add(1, std::memory_order_relaxed);
  AppendEmbeddings(reply.body, View(model->get_string()), inputs, dimensions, base64);
}

void HandleControl(const FakeHttpRequest& request, std::string_view path, FakeProviderState& state,
                   Reply& reply) {
  const http::verb method = request.method();
  if (path == "/_fake/behaviour" && method == http::verb::get) {
    return SetJson(reply, BehaviourToJson(*state.behaviours.Current()));
  }
  if (path == "/_fake/behaviour" && method == http::verb::post) {
    boost::system::error_code ec;
    json::value body = json::parse(request.body().empty() ? "{}" : request.body(), ec);
    if (ec || !body.is_object()) {
      return SetError(reply, InvalidRequest(400, "the body must be a JSON object"));
    }
    json::object& fields = body.as_object();
    int64_t times = 0;
    if (const json::value* t = fields.if_contains("times")) {
      if (!t->is_int64() || t->get_int64() < 0) {
        return SetError(reply, InvalidRequest(400, "'times' must be an integer >= 0", "times"));
      }
      times = t->get_int64();
      fields.erase("times");
    }
    Behaviour behaviour = *state.behaviours.Startup();
    if (absl::Status s = ApplyBehaviourJson(fields, behaviour); !s.ok()) {
      return SetError(reply, InvalidRequest(400, std::string(s.message()), "x_fake"));
    }
    json::object out = BehaviourToJson(behaviour);
    out["times"] = times;
    state.behaviours.Set(std::move(behaviour), times);
    return SetJson(reply, out);
  }
  if (path == "/_fake/requests" && method == http::verb::get) {
    return SetJson(reply, json::object{{"requests", state.recorder.ToJson()}});
  }
  if (path == "/_fake/requests" && method == http::verb::delete_) {
    state.recorder.Clear();
    return SetJson(reply, json::object{{"requests", json::array()}});
  }
  if (path == "/_fake/stats" && method == http::verb::get) {
    return SetJson(reply, state.stats.ToJson());
  }
  if (path == "/_fake/reset" && method == http::verb::post) {
    state.behaviours.Reset();
    state.recorder.Clear();
    state.stats.Reset();
    return SetJson(reply, json::object{{"reset", true}});
  }
  SetError(reply, InvalidRequest(404, "unknown control path", "", "not_found"));
}

// One parser per thread keeps its internal stacks from request to request.
json::value ParseBody(std::string_view text, json::monotonic_resource& resource,
                      boost::system::error_code& ec) {
  thread_local json::parser parser;
  parser.reset(&resource);
  parser.write(text.data(), text.size(), ec);
  if (ec) return json::value();
  return parser.release();
}

}  // namespace

void Reply::Clear() {
  status = 200;
  content_type = "application/json";
  extra_headers.clear();
  body.clear();
  stream.reset();
  behaviour.reset();
}

void HandleRequest(const FakeHttpRequest& request, FakeProviderState& state, Reply& reply) {
  state.stats.requests.fetch_add(1, std::memory_order_relaxed);
  const std::string_view target = View(request.target());
  const std::string_view path = target.substr(0, target.find('?'));
  if (path.substr(0, 7) == "/_fake/") return HandleControl(request, path, state, reply);

  if (state.recorder.enabled()) RecordRequest(request, state.recorder);
  reply.behaviour = state.behaviours.ForNextRequest();

  ApiError error;
  if (!Authorized(request, state.options.expected_key, error)) return SetError(reply, error);

  const http::verb method = request.method();
  const bool is_chat = path == "/v1/chat/completions";
  const bool is_embeddings = path == "/v1/embeddings";
  const bool is_models = path == "/v1/models" || path.substr(0, 11) == "/v1/models/";
  const bool known = ((is_chat || is_embeddings) && method == http::verb::post) ||
                     (is_models && method == http::verb::get);
  if (!known) {
    return SetError(
        reply, InvalidRequest(404, "Invalid URL (" + std::string(View(request.method_string())) +
                                       " " + std::string(path) + ")"));
  }

  // The body's JSON lives only while the reply is built; a per-thread buffer keeps the parse
  // free of heap allocations for ordinary request sizes.
  thread_local std::array<unsigned char, 64 * 1024> parse_buffer;
  json::monotonic_resource resource(parse_buffer.data(), parse_buffer.size());
  boost::system::error_code ec;
  // Constructed in place: assigning would copy the value out of `resource` onto the heap.
  const json::value body = is_models ? json::value() : ParseBody(request.body(), resource, ec);
  if (!is_models) {
    if (ec || !body.is_object()) {
      return SetError(reply, InvalidRequest(400,
                                            "We could not parse the JSON body of your request. "
                                            "(HINT: This likely means you aren't using your HTTP "
                                            "library correctly.)",
                                            "", "invalid_json"));
    }
    if (const json::value* x_fake = body.as_object().if_contains("x_fake")) {
      if (!x_fake->is_object()) {
        return SetError(reply, InvalidRequest(400, "x_fake must be an object", "x_fake"));
      }
      Behaviour merged = *reply.behaviour;
      if (absl::Status s = ApplyBehaviourJson(x_fake->get_object(), merged); !s.ok()) {
        return SetError(reply, InvalidRequest(400, std::string(s.message()), "x_fake"));
      }
      reply.behaviour = std::make_shared<const Behaviour>(std::move(merged));
    }
  }

  if (reply.behaviour->status != 200) return SetError(reply, InjectedError(*reply.behaviour));

  if (is_chat) return HandleChat(body.as_object(), reply, state.stats);
  if (is_embeddings) return HandleEmbeddings(body.as_object(), reply, state.stats);
  state.stats.models.fetch_add(1, std::memory_order_relaxed);
  if (path == "/v1/models") return AppendModelsList(reply.body, state.options.models);
  const std::string_view id = path.substr(11);
  for (const std::string& model : state.options.models) {
    if (model == id) return AppendModel(reply.body, id);
  }
  ApiError not_found = DefaultApiError(404);
  not_found.message = "The model '" + std::string(id) + "' does not exist";
  not_found.param = "model";
  SetError(reply, not_found);
}

}  // namespace gw::testing
