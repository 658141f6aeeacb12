#include "data_plane/providers/provider_error.h"

#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/json_text.h"
#include "data_plane/providers/json_scan.h"
#include "data_plane/upstream/upstream_timeouts.h"

namespace gw::dp {
namespace {

constexpr size_t kMaxAppendedMessage = 500;

// Each argument is a JSON value as it will appear (strings quoted).
void RenderError(absl::string_view message, absl::string_view type, absl::string_view param,
                 absl::string_view code, std::string& out) {
  out.clear();
  absl::StrAppend(&out, R"({"error":{"message":)", message, R"(,"type":)", type, R"(,"param":)",
                  param, R"(,"code":)", code, "}}");
}

std::string Quoted(absl::string_view text) {
  std::string out;
  AppendJsonQuoted(text, out);
  return out;
}

absl::string_view DefaultType(int status) {
  switch (status) {
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 429:
      return "rate_limit_error";
    default:
      return "invalid_request_error";
  }
}

// A header value we may repeat: printable ASCII only (no CR/LF injection).
std::string SafeHeaderValue(absl::string_view value) {
  for (const char c : value) {
    if (c < 0x20 || c > 0x7e) return {};
  }
  return std::string(value);
}

// The error fields of a provider's error body, as raw JSON values (empty when absent).
struct ErrorFields {
  absl::string_view message, type, param, code;
};

ErrorFields ExtractErrorFields(absl::string_view body) {
  ErrorFields fields;
  JsonObjectScan scan;
  if (!ScanJsonObject(body, scan).ok()) return fields;
  const JsonMember* error = scan.Find("error");
  if (error != nullptr && error->type == JsonType::kObject) {
    const absl::string_view inner = error->value(body);
    JsonObjectScan inner_scan;
    if (!ScanJsonObject(inner, inner_scan).ok()) return fields;
    if (const JsonMember* m = inner_scan.Find("message"); m && m->type == JsonType::kString) {
      fields.message = m->value(inner);
    }
    if (const JsonMember* m = inner_scan.Find("type"); m && m->type == JsonType::kString) {
      fields.type = m->value(inner);
    }
    if (const JsonMember* m = inner_scan.Find("param")) fields.param = m->value(inner);
    if (const JsonMember* m = inner_scan.Find("code")) fields.code = m->value(inner);
    return fields;
  }
  if (error != nullptr && error->type == JsonType::kString) {
    fields.message = error->value(body);  // {"error": "text"}
    return fields;
  }
  // FastAPI-style servers (vLLM) answer {"detail": "..."}, others {"message": "..."}.
  for (const absl::string_view key : {"message", "detail"}) {
    if (const JsonMember* m = scan.Find(key); m && m->type == JsonType::kString) {
      fields.message = m->value(body);
      return fields;
    }
  }
  return fields;
}

}  // namespace

ProviderError ProviderErrorFromStatus(const absl::Status& status, absl::string_view provider) {
  ProviderError error;
  switch (status.code()) {
    case absl::StatusCode::kDeadlineExceeded: {
      error.http_status = 504;
      const std::optional<UpstreamTimeout> timeout = UpstreamTimeoutOf(status);
      const std::string message = timeout ? absl::StrCat("provider '", provider, "' timed out (",
                                                         UpstreamTimeoutName(*timeout), " timeout)")
                                          : absl::StrCat("provider '", provider, "' timed out");
      RenderError(Quoted(message), R"("api_error")", "null", R"("upstream_timeout")", error.body);
      break;
    }
    case absl::StatusCode::kCancelled:
      error.http_status = 499;
      RenderError(Quoted("the client closed the request"), R"("api_error")", "null", "null",
                  error.body);
      break;
    case absl::StatusCode::kResourceExhausted:
      error.http_status = 502;
      RenderError(Quoted(absl::StrCat("provider '", provider,
                                      "' sent a response larger than the gateway accepts")),
                  R"("api_error")", "null", R"("upstream_error")", error.body);
      break;
    default:
      error.http_status = 502;
      RenderError(Quoted(absl::StrCat("provider '", provider, "' is unreachable")),
                  R"("api_error")", "null", R"("upstream_unavailable")", error.body);
      break;
  }
  return error;
}

ProviderError ProviderErrorFromResponse(int status, absl::string_view body,
                                        absl::string_view retry_after, absl::string_view provider,
                                        absl::string_view credential) {
  std::string scrubbed;
  if (!credential.empty() && absl::StrContains(body, credential)) {
    scrubbed = absl::StrReplaceAll(body, {{credential, "[redacted]"}});
    body = scrubbed;
  }
  const ErrorFields fields = ExtractErrorFields(body);
  ProviderError error;
  error.retry_after = SafeHeaderValue(retry_after);
  if (status >= 400 && status < 500) {
    error.http_status = static_cast<unsigned>(status);
    const std::string default_message =
        fields.message.empty()
            ? Quoted(absl::StrCat("provider '", provider, "' returned HTTP ", status))
            : std::string();
    const std::string default_type = fields.type.empty() ? Quoted(DefaultType(status)) : "";
    RenderError(fields.message.empty() ? absl::string_view(default_message) : fields.message,
                fields.type.empty() ? absl::string_view(default_type) : fields.type,
                fields.param.empty() ? "null" : fields.param,
                fields.code.empty() ? "null" : fields.code, error.body);
    return error;
  }
  error.http_status = 502;
  std::string message = absl::StrCat("provider '", provider, "' failed with HTTP ", status);
  if (!fields.message.empty()) {
    if (std::optional<std::string> text = JsonStringValue(fields.message)) {
      if (text->size() > kMaxAppendedMessage) {
        // Cut on a character boundary so the message stays valid UTF-8.
        size_t cut = kMaxAppendedMessage;
        while (cut > 0 && (static_cast<unsigned char>((*text)[cut]) & 0xC0) == 0x80) --cut;
        text->resize(cut);
      }
      absl::StrAppend(&message, ": ", *text);
    }
  }
  RenderError(Quoted(message), R"("api_error")", "null", R"("upstream_error")", error.body);
  return error;
}

ProviderError ProviderErrorBadResponse(absl::string_view provider, absl::string_view why) {
  ProviderError error;
  error.http_status = 502;
  RenderError(Quoted(absl::StrCat("provider '", provider, "' sent an unusable response: ", why)),
              R"("api_error")", "null", R"("upstream_error")", error.body);
  return error;
}

void AppendStreamErrorEvent(const ProviderError& error, std::string& out) {
  absl::StrAppend(&out, "data: ", error.body, "\n\n");
}

}  // namespace gw::dp
