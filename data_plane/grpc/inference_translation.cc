#include "data_plane/grpc/inference_translation.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/json_text.h"
#include "google/protobuf/util/json_util.h"

namespace gw::dp {
namespace {

namespace inference = gateway::inference::v1;

// Appends `"name":` after a comma when the object already has members.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_.push_back('{'); }
  ~ObjectWriter() { out_.push_back('}'); }
  ObjectWriter(const ObjectWriter&) = delete;
  ObjectWriter& operator=(const ObjectWriter&) = delete;

  std::string& Key(absl::string_view name) {
    if (!first_) out_.push_back(',');
    first_ = false;
    AppendJsonQuoted(name, out_);
    out_.push_back(':');
    return out_;
  }
  void String(absl::string_view name, absl::string_view value) {
    AppendJsonQuoted(value, Key(name));
  }
  void Int(absl::string_view name, int64_t value) { Key(name).append(std::to_string(value)); }

 private:
  std::string& out_;
  bool first_ = true;
};

// Shortest text that reads back as the same double ("0.7", not "7E-1").
absl::Status AppendDouble(absl::string_view field, double value, std::string& out) {
  if (!std::isfinite(value)) {
    return absl::InvalidArgumentError(absl::StrCat(field, " must be a finite number"));
  }
  char digits[32];
  const auto [end, error] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
  return absl::OkStatus();
}

void AppendStringArray(const google::protobuf::RepeatedPtrField<std::string>& values,
                       std::string& out) {
  out.push_back('[');
  for (int i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonQuoted(values[i], out);
  }
  out.push_back(']');
}

void AppendToolCall(const inference::ToolCall& call, std::string& out) {
  ObjectWriter object(out);
  if (!call.id().empty()) object.String("id", call.id());
  object.String("type", call.type().empty() ? "function" : call.type());
  ObjectWriter function(object.Key("function"));
  function.String("name", call.function().name());
  function.String("arguments", call.function().arguments());
}

void AppendMessage(const inference::ChatMessage& message, std::string& out) {
  ObjectWriter object(out);
  object.String("role", message.role());
  // An assistant turn that only calls tools has no content (OpenAI sends null there).
  if (message.content().empty() && message.tool_calls_size() > 0) {
    object.Key("content").append("null");
  } else {
    object.String("content", message.content());
  }
  if (!message.name().empty()) object.String("name", message.name());
  if (!message.tool_call_id().empty()) object.String("tool_call_id", message.tool_call_id());
  if (message.tool_calls_size() > 0) {
    std::string& calls = object.Key("tool_calls");
    calls.push_back('[');
    for (int i = 0; i < message.tool_calls_size(); ++i) {
      if (i > 0) calls.push_back(',');
      AppendToolCall(message.tool_calls(i), calls);
    }
    calls.push_back(']');
  }
}

template <typename Message>
absl::StatusOr<Message> FromJson(absl::string_view json, absl::string_view what) {
  Message message;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &message, options);
  if (!parsed.ok()) {
    return absl::InternalError(absl::StrCat(
        "the provider's ", what, " does not fit the API: ", std::string(parsed.message())));
  }
  return message;
}

}  // namespace

absl::StatusOr<std::string> ChatRequestToJson(const inference::ChatCompletionRequest& request,
                                              bool stream) {
  std::string out;
  out.reserve(256);
  {
    ObjectWriter object(out);
    object.String("model", request.model());
    std::string& messages = object.Key("messages");
    messages.push_back('[');
    for (int i = 0; i < request.messages_size(); ++i) {
      if (i > 0) messages.push_back(',');
      AppendMessage(request.messages(i), messages);
    }
    messages.push_back(']');
    if (request.has_max_tokens()) object.Int("max_tokens", request.max_tokens().value());
    if (request.has_temperature()) {
      if (absl::Status s =
              AppendDouble("temperature", request.temperature().value(), object.Key("temperature"));
          !s.ok()) {
        return s;
      }
    }
    if (request.has_top_p()) {
      if (absl::Status s = AppendDouble("top_p", request.top_p().value(), object.Key("top_p"));
          !s.ok()) {
        return s;
      }
    }
    if (request.has_n()) object.Int("n", request.n().value());
    if (request.stop_size() > 0) AppendStringArray(request.stop(), object.Key("stop"));
    if (!request.user().empty()) object.String("user", request.user());
    if (!request.metadata().empty()) {
      // Sorted: the map's order is unspecified, and equal requests should read the same.
      std::vector<std::pair<std::string, std::string>> entries(request.metadata().begin(),
                                                               request.metadata().end());
      std::sort(entries.begin(), entries.end());
      ObjectWriter metadata(object.Key("metadata"));
      for (const auto& [key, value] : entries) metadata.String(key, value);
    }
    if (request.has_seed()) object.Int("seed", request.seed().value());
    if (stream) {
      object.Key("stream").append("true");
      object.Key("stream_options").append(R"({"include_usage":true})");
    }
  }
  return out;
}

absl::StatusOr<std::string> EmbeddingRequestToJson(const inference::EmbeddingRequest& request) {
  if (!request.encoding_format().empty() && request.encoding_format() != "float") {
    return absl::InvalidArgumentError(
        "encoding_format must be \"float\": the gRPC API carries embeddings as floats");
  }
  std::string out;
  out.reserve(128);
  {
    ObjectWriter object(out);
    object.String("model", request.model());
    AppendStringArray(request.input(), object.Key("input"));
    object.String("encoding_format", "float");
    if (request.has_dimensions()) object.Int("dimensions", request.dimensions().value());
    if (!request.user().empty()) object.String("user", request.user());
  }
  return out;
}

absl::StatusOr<inference::ChatCompletion> ChatCompletionFromJson(absl::string_view json) {
  return FromJson<inference::ChatCompletion>(json, "chat completion");
}

absl::StatusOr<inference::ChatCompletionChunk> ChatCompletionChunkFromJson(absl::string_view json) {
  return FromJson<inference::ChatCompletionChunk>(json, "chat completion chunk");
}

absl::StatusOr<inference::EmbeddingResponse> EmbeddingResponseFromJson(absl::string_view json) {
  return FromJson<inference::EmbeddingResponse>(json, "embeddings response");
}

absl::StatusOr<inference::ListModelsResponse> ListModelsFromJson(absl::string_view json) {
  return FromJson<inference::ListModelsResponse>(json, "model list");
}

}  // namespace gw::dp
