#include "control_plane/usage/usage_validation.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace gw::cp {
namespace {

using gateway::usage::v1::UsageRecord;

// google.protobuf.Timestamp's documented range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
constexpr int64_t kMinTimestampSeconds = -62'135'596'800;
constexpr int64_t kMaxTimestampSeconds = 253'402'300'799;

// The rule a record breaks, or empty.
std::string RecordProblem(const UsageRecord& record) {
  if (record.record_id().empty()) return "record_id is empty";
  if (record.record_id().size() > kMaxRecordIdLength) {
    return absl::StrCat("record_id is longer than ", kMaxRecordIdLength, " characters");
  }
  if (!record.has_timestamp()) return "timestamp is missing";
  const auto& ts = record.timestamp();
  if (ts.seconds() < kMinTimestampSeconds || ts.seconds() > kMaxTimestampSeconds ||
      ts.nanos() < 0 || ts.nanos() > 999'999'999) {
    return "timestamp is out of range";
  }
  const std::pair<absl::string_view, int64_t> counts[] = {
      {"input_tokens", record.input_tokens()},
      {"cached_input_tokens", record.cached_input_tokens()},
      {"output_tokens", record.output_tokens()},
      {"latency_us", record.latency_us()},
      {"time_to_first_byte_us", record.time_to_first_byte_us()},
      {"cost_pico_usd", record.cost_pico_usd()},
  };
  for (const auto& [name, value] : counts) {
    if (value < 0) return absl::StrCat(name, " is negative (", value, ")");
  }
  if (record.status_code() < 0 || record.status_code() > 999) {
    return absl::StrCat("status_code ", record.status_code(), " is not within 0..999");
  }
  const std::pair<absl::string_view, const std::string*> texts[] = {
      {"request_id", &record.request_id()},
      {"worker_id", &record.worker_id()},
      {"team", &record.team()},
      {"key_id", &record.key_id()},
      {"model", &record.model()},
      {"provider", &record.provider()},
      {"upstream_model", &record.upstream_model()},
      {"error_code", &record.error_code()},
  };
  for (const auto& [name, value] : texts) {
    if (value->size() > kMaxUsageTextLength) {
      return absl::StrCat(name, " is longer than ", kMaxUsageTextLength, " characters");
    }
  }
  return std::string();
}

}  // namespace

absl::Status ValidateUsageBatch(const gateway::usage::v1::UsageBatch& batch) {
  if (batch.worker_id().size() > kMaxUsageTextLength) {
    return absl::InvalidArgumentError(absl::StrCat("usage batch ", batch.batch_id(),
                                                   ": worker_id is longer than ",
                                                   kMaxUsageTextLength, " characters"));
  }
  for (int i = 0; i < batch.records_size(); ++i) {
    const UsageRecord& record = batch.records(i);
    const std::string problem = RecordProblem(record);
    if (problem.empty()) continue;
    // A record id is the worker's own identifier, not a secret; cut so a huge one stays short.
    const absl::string_view id = absl::string_view(record.record_id()).substr(0, 64);
    return absl::InvalidArgumentError(absl::StrCat("usage batch ", batch.batch_id(), " record ", i,
                                                   " (record_id '", id, "'): ", problem,
                                                   "; nothing of this batch was stored"));
  }
  return absl::OkStatus();
}

}  // namespace gw::cp
