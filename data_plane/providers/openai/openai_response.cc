#include "data_plane/providers/openai/openai_response.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "data_plane/providers/json_scan.h"
#include "data_plane/providers/text_search.h"

namespace gw::dp {
namespace {

int64_t IntegerMember(const JsonObjectScan& scan, absl::string_view text, absl::string_view key) {
  const JsonMember* member = scan.Find(key);
  if (member == nullptr || member->type != JsonType::kNumber) return 0;
  return JsonInteger(member->value(text)).value_or(0);
}

bool IsEmptyArray(absl::string_view value) {
  if (value.size() < 2 || value.front() != '[' || value.back() != ']') return false;
  return absl::StripAsciiWhitespace(value.substr(1, value.size() - 2)).empty();
}

// Whether a chunk carries a non-empty "content" string (a delta of the answer). A substring test
// rather than a parse: it runs on every streamed event. An escaped quote inside some text reads
// `\"content\"`, which never matches the unescaped key searched for.
bool HasContentDelta(absl::string_view data) {
  constexpr absl::string_view kKey = "\"content\"";
  const size_t key = FindText(data, kKey);
  if (key == absl::string_view::npos) return false;
  size_t at = key + kKey.size();
  while (at < data.size() && (data[at] == ' ' || data[at] == ':')) ++at;
  return at + 1 < data.size() && data[at] == '"' && data[at + 1] != '"';
}

// Whether `quoted_key` (e.g. "\"usage\"") may be a member of the event: it occurs followed by
// a colon and, with `object_only`, by an object. A substring test like HasContentDelta's (an
// escaped quote never matches), so that the common chunk costs no JSON scan.
bool MayHaveMember(absl::string_view data, absl::string_view quoted_key, bool object_only) {
  for (size_t key = FindText(data, quoted_key); key != absl::string_view::npos;
       key = FindText(data, quoted_key, key + 1)) {
    size_t at = key + quoted_key.size();
    while (at < data.size() && absl::ascii_isspace(static_cast<unsigned char>(data[at]))) ++at;
    if (at >= data.size() || data[at] != ':') continue;
    if (!object_only) return true;
    ++at;
    while (at < data.size() && absl::ascii_isspace(static_cast<unsigned char>(data[at]))) ++at;
    if (at < data.size() && data[at] == '{') return true;
  }
  return false;
}

}  // namespace

TokenUsage ParseOpenAiUsageObject(absl::string_view usage_object) {
  TokenUsage usage;
  JsonObjectScan scan;
  if (!ScanJsonObject(usage_object, scan).ok()) return usage;
  usage.reported = true;
  usage.prompt_tokens = IntegerMember(scan, usage_object, "prompt_tokens");
  usage.completion_tokens = IntegerMember(scan, usage_object, "completion_tokens");
  usage.total_tokens = IntegerMember(scan, usage_object, "total_tokens");
  if (const JsonMember* details = scan.Find("prompt_tokens_details");
      details != nullptr && details->type == JsonType::kObject) {
    const absl::string_view text = details->value(usage_object);
    JsonObjectScan details_scan;
    if (ScanJsonObject(text, details_scan).ok()) {
      usage.cached_prompt_tokens = IntegerMember(details_scan, text, "cached_tokens");
    }
  }
  return usage;
}

TokenUsage ExtractOpenAiUsage(absl::string_view body) {
  JsonObjectScan scan;
  if (!ScanJsonObject(body, scan).ok()) return {};
  const JsonMember* usage = scan.Find("usage");
  if (usage == nullptr || usage->type != JsonType::kObject) return {};
  return ParseOpenAiUsageObject(usage->value(body));
}

StreamAction ClassifyOpenAiStreamEvent(absl::string_view data, StreamState& state) {
  if (absl::StripAsciiWhitespace(data) == "[DONE]") {
    state.saw_done = true;
    return StreamAction::kForward;
  }
  if (HasContentDelta(data)) ++state.content_deltas;
  // Nearly every chunk carries "usage":null (include_usage is forced upstream) or no usage at
  // all; scan the event only when a usage object or an error member may be there.
  if (!MayHaveMember(data, "\"usage\"", /*object_only=*/true) &&
      !MayHaveMember(data, "\"error\"", /*object_only=*/false)) {
    return StreamAction::kForward;
  }
  JsonObjectScan scan;
  if (!ScanJsonObject(data, scan).ok()) return StreamAction::kForward;
  if (scan.Find("error") != nullptr) state.saw_error = true;
  const JsonMember* usage = scan.Find("usage");
  if (usage == nullptr || usage->type != JsonType::kObject) return StreamAction::kForward;
  state.usage = ParseOpenAiUsageObject(usage->value(data));
  const JsonMember* choices = scan.Find("choices");
  const bool usage_only =
      choices != nullptr && choices->type == JsonType::kArray && IsEmptyArray(choices->value(data));
  if (usage_only && !state.client_wants_usage) return StreamAction::kDrop;
  return StreamAction::kForward;
}

}  // namespace gw::dp
