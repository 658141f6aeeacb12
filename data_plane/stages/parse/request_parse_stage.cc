#include "data_plane/stages/parse/request_parse_stage.h"

#include <algorithm>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "data_plane/http/openai_error.h"

namespace gw::dp {
namespace {

StageVerdict Refuse(RequestContext& ctx, absl::string_view code, absl::string_view message) {
  SetOpenAiError(ctx.response, 400, ErrorType::kInvalidRequest, code, message);
  return StageVerdict::kRespond;
}

// A token count: a non-negative integer; nullopt (and a refusal by the caller) otherwise.
std::optional<int64_t> TokenCount(absl::string_view body, const JsonMember& member) {
  if (member.type != JsonType::kNumber) return std::nullopt;
  std::optional<int64_t> value = JsonInteger(member.value(body));
  if (!value || *value < 0) return std::nullopt;
  return value;
}

}  // namespace

StageVerdict RequestParseStage::OnRequest(RequestContext& ctx) const {
  RequestFacts& facts = ctx.facts;
  facts.api = api_;
  const absl::string_view body = ctx.request->body();
  if (!ScanJsonObject(body, facts.scan).ok()) {
    return Refuse(ctx, "invalid_json",
                  "We could not parse the JSON body of your request. The body must be a JSON "
                  "object.");
  }
  const JsonObjectScan& scan = facts.scan;

  const JsonMember* model = scan.Find("model");
  if (model == nullptr || model->type == JsonType::kNull) {
    return Refuse(ctx, "missing_model", "You must provide a model parameter.");
  }
  std::optional<std::string> model_name;
  if (model->type == JsonType::kString) model_name = JsonStringValue(model->value(body));
  if (!model_name || model_name->empty()) {
    return Refuse(ctx, "invalid_type", "The model parameter must be a non-empty string.");
  }
  facts.model = *std::move(model_name);

  if (api_ == ApiKind::kChatCompletions) {
    const JsonMember* messages = scan.Find("messages");
    if (messages == nullptr || messages->type != JsonType::kArray) {
      return Refuse(ctx, "invalid_type", "The messages parameter must be an array.");
    }
    for (const absl::string_view field : {"max_tokens", "max_completion_tokens"}) {
      const JsonMember* member = scan.Find(field);
      if (member == nullptr || member->type == JsonType::kNull) continue;
      const std::optional<int64_t> count = TokenCount(body, *member);
      if (!count) {
        return Refuse(ctx, "invalid_type",
                      absl::StrCat("The ", field, " parameter must be a non-negative integer."));
      }
      facts.max_tokens = std::max(facts.max_tokens.value_or(0), *count);
    }
    if (const JsonMember* stream = scan.Find("stream");
        stream != nullptr && stream->type != JsonType::kNull) {
      if (stream->type != JsonType::kTrue && stream->type != JsonType::kFalse) {
        return Refuse(ctx, "invalid_type", "The stream parameter must be a boolean.");
      }
      facts.stream = stream->type == JsonType::kTrue;
    }
    if (const JsonMember* options = scan.Find("stream_options");
        options != nullptr && options->type == JsonType::kObject) {
      JsonObjectScan options_scan;
      const absl::string_view options_text = options->value(body);
      if (ScanJsonObject(options_text, options_scan).ok()) {
        const JsonMember* include = options_scan.Find("include_usage");
        facts.include_usage = include != nullptr && include->type == JsonType::kTrue;
      }
    }
  }
  facts.parsed = true;
  return StageVerdict::kContinue;
}

}  // namespace gw::dp
