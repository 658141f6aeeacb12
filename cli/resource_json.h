// The JSON shapes `gwctl -o json` prints for each resource (CONTRACTS.md "gwctl output"):
// snake_case names, int64 as JSON numbers, zero values present, null for unset, enums by name.
//   std::cout << JsonToText(TeamJson(team));
#pragma once

#include <vector>

#include "boost/json/array.hpp"
#include "boost/json/object.hpp"
#include "boost/json/value.hpp"
#include "gateway/admin/v1/admin.pb.h"
#include "gateway/config/v1/config.pb.h"
#include "gateway/usage/v1/usage.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace gw::cli {

// RFC 3339 UTC string.
std::string TimestampText(const google::protobuf::Timestamp& timestamp);

// Tier, effective rpm/tpm/max_concurrent (the tier preset unless set), max_tokens_per_request
// and monthly budget (null when unset), allowed models, guardrail level.
boost::json::object TeamJson(const gateway::config::v1::Team& team);
boost::json::object ApiKeyJson(const gateway::admin::v1::ApiKey& key);
// Exactly {"id", "key", "prefix", "team", "name", "expires_at"}: the plaintext, shown once.
boost::json::object CreatedKeyJson(const gateway::admin::v1::CreateKeyResponse& created);
boost::json::object ProviderJson(const gateway::config::v1::Provider& provider);
boost::json::object ModelJson(const gateway::config::v1::Model& model);
boost::json::object RouteJson(const gateway::config::v1::Route& route);
// Decimal `*_usd_per_mtok` strings and the exact `*_micro_usd_per_mtok` integers.
boost::json::object PriceJson(const gateway::config::v1::ModelPrice& price);
boost::json::object StatusJson(const gateway::admin::v1::GetStatusResponse& status);
// Only the grouping fields in `group_by` (in the order team, key_id, model, day), then the sums.
boost::json::object SpendRowJson(const gateway::admin::v1::SpendRow& row,
                                 const std::vector<gateway::admin::v1::SpendGrouping>& group_by);
boost::json::object UsageRecordJson(const gateway::usage::v1::UsageRecord& record);
boost::json::object ApplyJson(const gateway::admin::v1::ApplyResponse& response);

template <typename Repeated, typename ToJson>
boost::json::array ListJson(const Repeated& items, ToJson to_json) {
  boost::json::array array;
  for (const auto& item : items) array.push_back(to_json(item));
  return array;
}

}  // namespace gw::cli
