#include "control_plane/usage/usage_queries.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "control_plane/usage/usage_time.h"

namespace gw::cp {
namespace {

namespace admin = gateway::admin::v1;

constexpr char kRecordColumns[] =
    "record_id, request_id, ts, worker_id, team, key_id, model, provider, upstream_model, "
    "input_tokens, cached_input_tokens, output_tokens, latency_us, ttfb_us, status_code, "
    "error_code, cost_pico_usd, estimated, streamed";

void ReadRecord(const Statement& row, gateway::usage::v1::UsageRecord& record) {
  record.set_record_id(row.ColumnText(0));
  record.set_request_id(row.ColumnText(1));
  *record.mutable_timestamp() = TimestampFromMicros(row.ColumnInt64(2));
  record.set_worker_id(row.ColumnText(3));
  record.set_team(row.ColumnText(4));
  record.set_key_id(row.ColumnText(5));
  record.set_model(row.ColumnText(6));
  record.set_provider(row.ColumnText(7));
  record.set_upstream_model(row.ColumnText(8));
  record.set_input_tokens(row.ColumnInt64(9));
  record.set_cached_input_tokens(row.ColumnInt64(10));
  record.set_output_tokens(row.ColumnInt64(11));
  record.set_latency_us(row.ColumnInt64(12));
  record.set_time_to_first_byte_us(row.ColumnInt64(13));
  record.set_status_code(static_cast<int32_t>(row.ColumnInt64(14)));
  record.set_error_code(row.ColumnText(15));
  record.set_cost_pico_usd(row.ColumnInt64(16));
  record.set_estimated(row.ColumnInt64(17) != 0);
  record.set_streamed(row.ColumnInt64(18) != 0);
}

// SQLite's SUM fails with "integer overflow" rather than wrapping.
absl::Status SpendQueryError(const absl::Status& status) {
  if (absl::StrContains(status.message(), "integer overflow")) {
    return absl::OutOfRangeError(
        "a spend sum overflows 64-bit pico-USD; ask for a shorter range or finer grouping");
  }
  return status;
}

}  // namespace

absl::Status UsageQueries::ListUsage(const admin::ListUsageRequest& request,
                                     admin::ListUsageResponse& response) const {
  if (request.limit() < 0 || request.limit() > kMaxListLimit) {
    return absl::InvalidArgumentError(absl::StrCat("limit must be within 1..", kMaxListLimit,
                                                   " (0 means ", kDefaultListLimit, "), not ",
                                                   request.limit()));
  }
  const int64_t limit = request.limit() == 0 ? kDefaultListLimit : request.limit();
  // rowid breaks ties of equal timestamps by arrival; both indexes end in it, so no sort.
  const std::string sql = absl::StrCat("SELECT ", kRecordColumns, " FROM usage_records",
                                       request.team().empty() ? "" : " WHERE team = ?2",
                                       " ORDER BY ts DESC, rowid DESC LIMIT ?1");
  std::unique_lock lock = db_.Lock();
  GW_ASSIGN_OR_RETURN(Statement query, db_.Prepare(sql));
  if (request.team().empty()) {
    GW_RETURN_IF_ERROR(query.Bind(limit));
  } else {
    GW_RETURN_IF_ERROR(query.Bind(limit, request.team()));
  }
  while (true) {
    GW_ASSIGN_OR_RETURN(const bool row, query.Step());
    if (!row) break;
    ReadRecord(query, *response.add_records());
  }
  return absl::OkStatus();
}

absl::Status UsageQueries::GetSpend(const admin::GetSpendRequest& request,
                                    admin::GetSpendResponse& response) const {
  bool by_team = false;
  bool by_key = false;
  bool by_model = false;
  bool by_day = false;
  for (const int grouping : request.group_by()) {
    switch (grouping) {
      case admin::SPEND_GROUPING_TEAM:
        by_team = true;
        break;
      case admin::SPEND_GROUPING_KEY:
        by_key = true;
        break;
      case admin::SPEND_GROUPING_MODEL:
        by_model = true;
        break;
      case admin::SPEND_GROUPING_DAY:
        by_day = true;
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("group_by ", grouping, " is not one of team, key, model, day"));
    }
  }

  MicrosRange range;
  if (request.from().empty() && request.to().empty()) {
    range.from = MonthStartMicros(now_());
    range.to = NextMonthStartMicros(range.from);
  } else if (request.from().empty() || request.to().empty()) {
    return absl::InvalidArgumentError("give both from and to, or neither (the current month)");
  } else {
    GW_ASSIGN_OR_RETURN(const MicrosRange first, ParseUtcDay("from", request.from()));
    GW_ASSIGN_OR_RETURN(const MicrosRange last, ParseUtcDay("to", request.to()));
    if (first.from > last.from) {
      return absl::InvalidArgumentError(
          absl::StrCat("from ", request.from(), " is after to ", request.to()));
    }
    range = MicrosRange{first.from, last.to};
  }

  // Grouping columns come from this fixed list, never from the request's text.
  std::vector<std::string> groups;
  if (by_team) groups.push_back("team");
  if (by_key) groups.push_back("key_id");
  if (by_model) groups.push_back("model");
  if (by_day) groups.push_back("strftime('%Y-%m-%d', hour_start / 1000000, 'unixepoch')");
  const std::string group_list = absl::StrJoin(groups, ", ");
  std::string sql = "SELECT ";
  if (!groups.empty()) absl::StrAppend(&sql, group_list, ", ");
  absl::StrAppend(&sql,
                  "SUM(requests), SUM(failed_requests), SUM(input_tokens), "
                  "SUM(cached_input_tokens), SUM(output_tokens), SUM(cost_pico_usd) "
                  "FROM usage_rollups_hourly WHERE hour_start >= ?1 AND hour_start < ?2");
  if (!request.team().empty()) absl::StrAppend(&sql, " AND team = ?3");
  if (!groups.empty()) absl::StrAppend(&sql, " GROUP BY ", group_list, " ORDER BY ", group_list);

  std::unique_lock lock = db_.Lock();
  GW_ASSIGN_OR_RETURN(Statement query, db_.Prepare(sql));
  if (request.team().empty()) {
    GW_RETURN_IF_ERROR(query.Bind(range.from, range.to));
  } else {
    GW_RETURN_IF_ERROR(query.Bind(range.from, range.to, request.team()));
  }
  while (true) {
    absl::StatusOr<bool> row = query.Step();
    if (!row.ok()) return SpendQueryError(row.status());
    if (!*row) break;
    int column = 0;
    admin::SpendRow spend;
    if (by_team) spend.set_team(query.ColumnText(column++));
    if (by_key) spend.set_key_id(query.ColumnText(column++));
    if (by_model) spend.set_model(query.ColumnText(column++));
    if (by_day) spend.set_day(query.ColumnText(column++));
    // Without grouping, an empty range still yields one row, of NULL sums.
    if (query.ColumnIsNull(column)) continue;
    spend.set_requests(query.ColumnInt64(column++));
    spend.set_failed_requests(query.ColumnInt64(column++));
    spend.set_input_tokens(query.ColumnInt64(column++));
    spend.set_cached_input_tokens(query.ColumnInt64(column++));
    spend.set_output_tokens(query.ColumnInt64(column++));
    spend.set_cost_pico_usd(query.ColumnInt64(column++));
    *response.add_rows() = std::move(spend);
  }
  return absl::OkStatus();
}

}  // namespace gw::cp
