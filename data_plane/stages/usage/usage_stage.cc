#include "data_plane/stages/usage/usage_stage.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "common/names.h"
#include "data_plane/providers/json_scan.h"
#include "data_plane/stages/usage/usage_cost.h"

namespace gw::dp {
namespace {

using gateway::usage::v1::UsageRecord;

// The control plane refuses a record with a longer text field (and the whole batch with it).
constexpr size_t kMaxTextBytes = 256;
// Error codes are short identifiers; anything else is not worth keeping.
constexpr size_t kMaxErrorCodeBytes = 64;
// OpenAI's rule of thumb, for a stream the provider never reported usage for.
constexpr int64_t kBytesPerEstimatedToken = 4;

// `text` cut to the control plane's limit without splitting a UTF-8 sequence.
absl::string_view Clip(absl::string_view text) {
  if (text.size() <= kMaxTextBytes) return text;
  size_t end = kMaxTextBytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

std::string ClippedString(absl::string_view text) {
  const absl::string_view clipped = Clip(text);
  return std::string(clipped.data(), clipped.size());
}

void SetText(absl::string_view text, std::string* field) {
  const absl::string_view clipped = Clip(text);
  field->assign(clipped.data(), clipped.size());
}

// "code" of an OpenAI error body ({"error":{...,"code":"..."}}), which every error the worker
// sends has (its own refusals and provider errors alike, see provider_error.h). Only runs for
// error statuses, on small bodies; printable ASCII only, so the record stays valid UTF-8.
std::string ErrorCodeOf(absl::string_view body) {
  JsonObjectScan outer;
  if (!ScanJsonObject(body, outer, /*max_depth=*/8).ok()) return {};
  const JsonMember* error = outer.Find("error");
  if (error == nullptr || error->type != JsonType::kObject) return {};
  const absl::string_view error_text = error->value(body);
  JsonObjectScan inner;
  if (!ScanJsonObject(error_text, inner, /*max_depth=*/8).ok()) return {};
  const JsonMember* code = inner.Find("code");
  if (code == nullptr || code->type != JsonType::kString) return {};
  std::optional<std::string> decoded = JsonStringValue(code->value(error_text));
  if (!decoded || decoded->size() > kMaxErrorCodeBytes ||
      !std::all_of(decoded->begin(), decoded->end(), [](char c) { return c > 0x20 && c < 0x7F; })) {
    return {};
  }
  return *std::move(decoded);
}

int64_t Micros(absl::Duration duration) {
  return std::max<int64_t>(absl::ToInt64Microseconds(duration), 0);
}

}  // namespace

UsageStage::UsageStage(UsageStageOptions options)
    : sink_(std::move(options.sink)),
      worker_id_(ClippedString(options.worker_id)),
      record_ids_(options.worker_id) {}

bool UsageStage::IsMetered(absl::string_view target) { return absl::StartsWith(target, "/v1/"); }

void UsageStage::OnComplete(RequestContext& ctx) const {
  if (ctx.request == nullptr) return;
  const auto target = ctx.request->target();
  if (!IsMetered(absl::string_view(target.data(), target.size()))) return;
  ctx.usage.ReadDeferredTokens(ctx.response.body);
  thread_local UsageRecord record;
  BuildRecord(ctx, absl::Now(), record);
  sink_->Submit(record);
}

void UsageStage::BuildRecord(const RequestContext& ctx, absl::Time now, UsageRecord& record) const {
  const UsageFacts& usage = ctx.usage;
  // Clear() frees the timestamp message; the record is reused for every request, so keep it.
  google::protobuf::Timestamp* const timestamp = record.release_timestamp();
  record.Clear();
  record.set_allocated_timestamp(timestamp);
  record_ids_.Next(record.mutable_record_id());
  SetText(ctx.request_id, record.mutable_request_id());
  const int64_t now_us = absl::ToUnixMicros(now);
  record.mutable_timestamp()->set_seconds(now_us / 1'000'000);
  record.mutable_timestamp()->set_nanos(static_cast<int32_t>(now_us % 1'000'000) * 1000);
  record.set_worker_id(worker_id_);
  if (ctx.key != nullptr) {
    if (ctx.key->team != nullptr) SetText(ctx.key->team->name(), record.mutable_team());
    SetText(ctx.key->id, record.mutable_key_id());
  }
  // The public model: the configured one, or the name asked for when it does not exist (kept
  // only when it is a valid name, so the record stays short and clean).
  if (ctx.model != nullptr) {
    SetText(ctx.model->name(), record.mutable_model());
  } else if (ctx.facts.parsed && IsValidName(ctx.facts.model)) {
    record.set_model(ctx.facts.model);
  }
  SetText(usage.provider, record.mutable_provider());
  SetText(usage.upstream_model, record.mutable_upstream_model());

  // A stream the provider began but never reported usage for (the client left, or the stream
  // broke): the gateway counts what it can see and marks the record estimated.
  const bool estimated =
      usage.streamed && !usage.tokens.reported && usage.time_to_first_byte > absl::ZeroDuration();
  TokenCounts tokens;
  if (estimated) {
    const auto body_bytes = static_cast<int64_t>(ctx.request->body().size());
    tokens.input = (body_bytes + kBytesPerEstimatedToken - 1) / kBytesPerEstimatedToken;
    tokens.output = usage.streamed_content_deltas;
  } else if (usage.tokens.reported) {
    tokens.input = std::max<int64_t>(usage.tokens.prompt_tokens, 0);
    tokens.cached_input = std::clamp<int64_t>(usage.tokens.cached_prompt_tokens, 0, tokens.input);
    tokens.output = std::max<int64_t>(usage.tokens.completion_tokens, 0);
  }
  record.set_input_tokens(tokens.input);
  record.set_cached_input_tokens(tokens.cached_input);
  record.set_output_tokens(tokens.output);
  record.set_estimated(estimated);
  record.set_streamed(usage.streamed);

  const absl::Duration latency =
      usage.latency > absl::ZeroDuration() ? usage.latency : now - ctx.received_at;
  record.set_latency_us(Micros(latency));
  record.set_time_to_first_byte_us(Micros(usage.time_to_first_byte));

  // The upstream handler knows what the client got (499 when it left mid-stream); a local reply
  // only leaves its status in the response.
  const unsigned status = usage.status != 0 ? usage.status : ctx.response.status;
  record.set_status_code(static_cast<int32_t>(std::min(status, 999u)));
  if (status >= 400 && !ctx.response.body.empty()) {
    record.set_error_code(ErrorCodeOf(ctx.response.body));
  }

  if (ctx.snapshot != nullptr && ctx.model != nullptr) {
    if (const auto* price = ctx.snapshot->FindPrice(ctx.model->name()); price != nullptr) {
      record.set_cost_pico_usd(UsageCostPicoUsd(tokens, *price));
    }
  }
}

}  // namespace gw::dp
