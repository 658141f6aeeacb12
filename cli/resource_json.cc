#include "cli/resource_json.h"

#include <algorithm>

#include "absl/time/time.h"
#include "cli/durations.h"
#include "common/enum_names.h"
#include "common/money.h"
#include "common/tiers.h"

namespace gw::cli {
namespace {

namespace adminpb = gateway::admin::v1;
namespace cfg = gateway::config::v1;
namespace json = boost::json;

json::string_view Sv(const std::string& text) { return json::string_view(text); }

json::array StringArray(const google::protobuf::RepeatedPtrField<std::string>& values) {
  json::array array;
  for (const std::string& value : values) array.emplace_back(Sv(value));
  return array;
}

json::value OptionalTimestamp(bool present, const google::protobuf::Timestamp& timestamp) {
  if (!present) return nullptr;
  return json::value(Sv(TimestampText(timestamp)));
}

bool Grouped(const std::vector<adminpb::SpendGrouping>& group_by, adminpb::SpendGrouping g) {
  return std::find(group_by.begin(), group_by.end(), g) != group_by.end();
}

}  // namespace

std::string TimestampText(const google::protobuf::Timestamp& timestamp) {
  return FormatRfc3339Utc(absl::FromUnixSeconds(timestamp.seconds()) +
                          absl::Nanoseconds(timestamp.nanos()));
}

json::object TeamJson(const cfg::Team& team) {
  const TeamLimits limits = EffectiveLimits(team);
  json::object out;
  out["name"] = Sv(team.name());
  out["tier"] = Sv(TierName(team.tier()));
  out["rpm"] = limits.rpm;
  out["tpm"] = limits.tpm;
  out["max_concurrent"] = limits.max_concurrent;
  out["max_tokens_per_request"] = team.has_max_tokens_per_request()
                                      ? json::value(team.max_tokens_per_request().value())
                                      : json::value(nullptr);
  out["monthly_budget_usd"] =
      team.has_monthly_budget_micro_usd()
          ? json::value(Sv(FormatMicroUsd(team.monthly_budget_micro_usd().value())))
          : json::value(nullptr);
  out["allowed_models"] = StringArray(team.allowed_models());
  out["guardrail_level"] = Sv(GuardrailLevelName(team.guardrail_level()));
  return out;
}

json::object ApiKeyJson(const adminpb::ApiKey& key) {
  json::object out;
  out["id"] = Sv(key.id());
  out["team"] = Sv(key.team());
  out["name"] = Sv(key.name());
  out["prefix"] = Sv(key.prefix());
  out["allowed_models"] = StringArray(key.allowed_models());
  out["created_at"] = OptionalTimestamp(key.has_created_at(), key.created_at());
  out["expires_at"] = OptionalTimestamp(key.has_expires_at(), key.expires_at());
  out["revoked_at"] = OptionalTimestamp(key.has_revoked_at(), key.revoked_at());
  return out;
}

json::object CreatedKeyJson(const adminpb::CreateKeyResponse& created) {
  const adminpb::ApiKey& key = created.key();
  json::object out;
  out["id"] = Sv(key.id());
  out["key"] = Sv(created.plaintext_key());
  out["prefix"] = Sv(key.prefix());
  out["team"] = Sv(key.team());
  out["name"] = Sv(key.name());
  out["expires_at"] = OptionalTimestamp(key.has_expires_at(), key.expires_at());
  return out;
}

json::object ProviderJson(const cfg::Provider& provider) {
  json::object out;
  out["name"] = Sv(provider.name());
  out["type"] = Sv(ProviderTypeName(provider.type()));
  out["base_url"] = Sv(provider.base_url());
  out["credential_ref"] = Sv(provider.credential_ref());
  return out;
}

json::object ModelJson(const cfg::Model& model) {
  json::object out;
  out["name"] = Sv(model.name());
  out["provider"] = Sv(model.provider());
  out["upstream_model"] = Sv(model.upstream_model());
  out["capabilities"] = StringArray(model.capabilities());
  out["context_window"] = model.context_window();
  return out;
}

json::object RouteJson(const cfg::Route& route) {
  json::object out;
  out["task"] = Sv(route.task());
  out["primary"] = Sv(route.primary());
  out["fallbacks"] = StringArray(route.fallbacks());
  out["strategy"] = Sv(RoutingStrategyName(route.strategy()));
  return out;
}

json::object PriceJson(const cfg::ModelPrice& price) {
  json::object out;
  out["model"] = Sv(price.model());
  out["input_usd_per_mtok"] = Sv(FormatMicroUsd(price.input_micro_usd_per_mtok()));
  out["cached_input_usd_per_mtok"] = Sv(FormatMicroUsd(price.cached_input_micro_usd_per_mtok()));
  out["output_usd_per_mtok"] = Sv(FormatMicroUsd(price.output_micro_usd_per_mtok()));
  out["input_micro_usd_per_mtok"] = price.input_micro_usd_per_mtok();
  out["cached_input_micro_usd_per_mtok"] = price.cached_input_micro_usd_per_mtok();
  out["output_micro_usd_per_mtok"] = price.output_micro_usd_per_mtok();
  return out;
}

json::object StatusJson(const adminpb::GetStatusResponse& status) {
  json::object out;
  out["config_version"] = status.config_version();
  json::array workers;
  for (const adminpb::WorkerStatus& worker : status.workers()) {
    json::object w;
    w["worker_id"] = Sv(worker.worker_id());
    w["address"] = Sv(worker.address());
    w["connected"] = worker.connected();
    w["connected_since"] =
        OptionalTimestamp(worker.has_connected_since(), worker.connected_since());
    w["applied_version"] = worker.applied_version();
    w["last_nack_version"] = worker.last_nack_version();
    w["last_nack_message"] = Sv(worker.last_nack_message());
    w["last_seen"] = OptionalTimestamp(worker.has_last_seen(), worker.last_seen());
    workers.push_back(std::move(w));
  }
  out["workers"] = std::move(workers);
  return out;
}

json::object SpendRowJson(const adminpb::SpendRow& row,
                          const std::vector<adminpb::SpendGrouping>& group_by) {
  json::object out;
  if (Grouped(group_by, adminpb::SPEND_GROUPING_TEAM)) out["team"] = Sv(row.team());
  if (Grouped(group_by, adminpb::SPEND_GROUPING_KEY)) out["key_id"] = Sv(row.key_id());
  if (Grouped(group_by, adminpb::SPEND_GROUPING_MODEL)) out["model"] = Sv(row.model());
  if (Grouped(group_by, adminpb::SPEND_GROUPING_DAY)) out["day"] = Sv(row.day());
  out["requests"] = row.requests();
  out["failed_requests"] = row.failed_requests();
  out["input_tokens"] = row.input_tokens();
  out["cached_input_tokens"] = row.cached_input_tokens();
  out["output_tokens"] = row.output_tokens();
  out["cost_pico_usd"] = row.cost_pico_usd();
  out["cost_usd"] = Sv(FormatPicoUsd(row.cost_pico_usd()));
  return out;
}

json::object UsageRecordJson(const gateway::usage::v1::UsageRecord& record) {
  json::object out;
  out["record_id"] = Sv(record.record_id());
  out["request_id"] = Sv(record.request_id());
  out["timestamp"] = OptionalTimestamp(record.has_timestamp(), record.timestamp());
  out["worker_id"] = Sv(record.worker_id());
  out["team"] = Sv(record.team());
  out["key_id"] = Sv(record.key_id());
  out["model"] = Sv(record.model());
  out["provider"] = Sv(record.provider());
  out["upstream_model"] = Sv(record.upstream_model());
  out["status_code"] = record.status_code();
  out["error_code"] = Sv(record.error_code());
  out["input_tokens"] = record.input_tokens();
  out["cached_input_tokens"] = record.cached_input_tokens();
  out["output_tokens"] = record.output_tokens();
  out["latency_us"] = record.latency_us();
  out["time_to_first_byte_us"] = record.time_to_first_byte_us();
  out["cost_pico_usd"] = record.cost_pico_usd();
  out["cost_usd"] = Sv(FormatPicoUsd(record.cost_pico_usd()));
  out["estimated"] = record.estimated();
  out["streamed"] = record.streamed();
  return out;
}

json::object ApplyJson(const adminpb::ApplyResponse& response) {
  json::object out;
  out["config_version"] = response.config_version();
  out["changes"] = StringArray(response.changes());
  return out;
}

}  // namespace gw::cli
