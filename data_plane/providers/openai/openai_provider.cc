#include "data_plane/providers/openai/openai_provider.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/json_text.h"

namespace gw::dp {
namespace {

constexpr absl::string_view kTrue = "true";
constexpr absl::string_view kIncludeUsageObject = R"({"include_usage":true})";
constexpr absl::string_view kStreamOptionsMember = R"(,"stream_options":{"include_usage":true})";
constexpr absl::string_view kIncludeUsageMember = R"("include_usage":true,)";

// Replace body[begin, end) with `replacement` (an insertion when begin == end).
struct Edit {
  size_t begin;
  size_t end;
  absl::string_view replacement;
};
using Edits = absl::InlinedVector<Edit, 4>;

void Assemble(absl::string_view body, Edits& edits, OpenAiRequestPlan& plan) {
  std::sort(edits.begin(), edits.end(),
            [](const Edit& a, const Edit& b) { return a.begin < b.begin; });
  plan.body.clear();
  size_t at = 0;
  for (const Edit& edit : edits) {
    if (edit.begin > at) plan.body.push_back(body.substr(at, edit.begin - at));
    if (!edit.replacement.empty()) plan.body.push_back(edit.replacement);
    at = edit.end;
  }
  if (at < body.size()) plan.body.push_back(body.substr(at));
}

void SetHeaders(const OpenAiProvider& provider, absl::string_view request_id,
                OpenAiRequestPlan& plan) {
  plan.headers.clear();
  plan.headers.push_back({"Content-Type", "application/json"});
  if (!provider.authorization.empty()) {
    plan.headers.push_back({"Authorization", provider.authorization});
  }
  if (!request_id.empty()) plan.headers.push_back({"x-request-id", request_id});
  // The gateway reads the response (usage, stream events): it must not arrive compressed.
  plan.headers.push_back({"Accept-Encoding", "identity"});
}

absl::Status SpliceModel(absl::string_view body, const JsonObjectScan& scan,
                         absl::string_view upstream_model, OpenAiRequestPlan& plan, Edits& edits) {
  plan.model_json.clear();
  AppendJsonQuoted(upstream_model, plan.model_json);
  bool found = false;
  // Every "model" member, not only the last: whichever one the provider's parser keeps must be
  // the upstream name.
  for (const JsonMember& member : scan.members) {
    if (!JsonKeyEquals(member.raw_key, member.key_has_escapes, "model")) continue;
    found = true;
    if (member.value(body) != plan.model_json) {
      edits.push_back({member.value_begin, member.value_end, plan.model_json});
    }
  }
  if (!found) return absl::InvalidArgumentError("the request has no \"model\"");
  return absl::OkStatus();
}

// For a stream: make stream_options.include_usage true, remembering what the client asked for.
void ForceIncludeUsage(absl::string_view body, const JsonObjectScan& scan, OpenAiRequestPlan& plan,
                       Edits& edits) {
  const JsonMember* options = scan.Find("stream_options");
  if (options == nullptr) {
    edits.push_back({scan.close_brace, scan.close_brace, kStreamOptionsMember});
    return;
  }
  if (options->type != JsonType::kObject) {  // null (or nonsense the provider would refuse)
    edits.push_back({options->value_begin, options->value_end, kIncludeUsageObject});
    return;
  }
  const absl::string_view value = options->value(body);
  JsonObjectScan inner;
  if (!ScanJsonObject(value, inner).ok()) {
    edits.push_back({options->value_begin, options->value_end, kIncludeUsageObject});
    return;
  }
  if (const JsonMember* include = inner.Find("include_usage")) {
    if (include->type == JsonType::kTrue) {
      plan.client_wants_usage = true;
      return;
    }
    edits.push_back({options->value_begin + include->value_begin,
                     options->value_begin + include->value_end, kTrue});
    return;
  }
  if (inner.members.empty()) {
    edits.push_back({options->value_begin, options->value_end, kIncludeUsageObject});
    return;
  }
  const size_t after_brace = options->value_begin + inner.open_brace + 1;
  edits.push_back({after_brace, after_brace, kIncludeUsageMember});
}

}  // namespace

absl::StatusOr<OpenAiProvider> MakeOpenAiProvider(absl::string_view name,
                                                  absl::string_view base_url,
                                                  absl::string_view credential,
                                                  const UpstreamTimeouts& timeouts) {
  absl::StatusOr<UpstreamEndpoint> endpoint = ParseUpstreamEndpoint(base_url);
  if (!endpoint.ok()) return endpoint.status();
  for (const char c : credential) {
    if (c <= 0x20 || c >= 0x7f) {
      return absl::InvalidArgumentError(absl::StrCat(
          "provider '", name, "': the credential has characters a header cannot carry"));
    }
  }
  OpenAiProvider provider;
  provider.name = std::string(name);
  provider.endpoint = *std::move(endpoint);
  provider.chat_completions_path = provider.endpoint.PathFor("/chat/completions");
  provider.embeddings_path = provider.endpoint.PathFor("/embeddings");
  if (!credential.empty()) provider.authorization = absl::StrCat("Bearer ", credential);
  provider.credential = std::string(credential);
  provider.timeouts = timeouts;
  return provider;
}

absl::Status PlanChatCompletion(const OpenAiProvider& provider, absl::string_view body,
                                const JsonObjectScan& scan, absl::string_view upstream_model,
                                absl::string_view request_id, OpenAiRequestPlan& plan) {
  Edits edits;
  if (absl::Status s = SpliceModel(body, scan, upstream_model, plan, edits); !s.ok()) return s;
  const JsonMember* stream = scan.Find("stream");
  plan.stream = stream != nullptr && stream->type == JsonType::kTrue;
  plan.client_wants_usage = false;
  if (plan.stream) ForceIncludeUsage(body, scan, plan, edits);
  Assemble(body, edits, plan);
  SetHeaders(provider, request_id, plan);
  plan.endpoint = &provider.endpoint;
  plan.timeouts = provider.timeouts;
  plan.path = provider.chat_completions_path;
  return absl::OkStatus();
}

absl::Status PlanEmbeddings(const OpenAiProvider& provider, absl::string_view body,
                            const JsonObjectScan& scan, absl::string_view upstream_model,
                            absl::string_view request_id, OpenAiRequestPlan& plan) {
  Edits edits;
  if (absl::Status s = SpliceModel(body, scan, upstream_model, plan, edits); !s.ok()) return s;
  plan.stream = false;
  plan.client_wants_usage = false;
  Assemble(body, edits, plan);
  SetHeaders(provider, request_id, plan);
  plan.endpoint = &provider.endpoint;
  plan.timeouts = provider.timeouts;
  plan.path = provider.embeddings_path;
  return absl::OkStatus();
}

}  // namespace gw::dp
