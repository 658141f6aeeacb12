#include "control_plane/usage/usage_writer.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "control_plane/usage/usage_time.h"

namespace gw::cp {
namespace {

using gateway::usage::v1::UsageBatch;
using gateway::usage::v1::UsageRecord;

// An upsert rather than INSERT OR IGNORE: OR IGNORE would also skip a row failing a CHECK and
// count it as a duplicate, while this skips only an already stored record_id.
constexpr char kInsertRecord[] =
    "INSERT INTO usage_records (record_id, request_id, ts, worker_id, team, key_id, model, "
    "provider, upstream_model, input_tokens, cached_input_tokens, output_tokens, latency_us, "
    "ttfb_us, status_code, error_code, cost_pico_usd, estimated, streamed) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19) "
    "ON CONFLICT (record_id) DO NOTHING";

// An overflowing sum becomes a REAL in SQLite, which the STRICT INTEGER column refuses: the
// transaction fails rather than storing a wrong total.
constexpr char kUpsertRollup[] =
    "INSERT INTO usage_rollups_hourly (team, key_id, model, hour_start, requests, "
    "failed_requests, input_tokens, cached_input_tokens, output_tokens, cost_pico_usd) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
    "ON CONFLICT (team, key_id, model, hour_start) DO UPDATE SET "
    "requests = requests + excluded.requests, "
    "failed_requests = failed_requests + excluded.failed_requests, "
    "input_tokens = input_tokens + excluded.input_tokens, "
    "cached_input_tokens = cached_input_tokens + excluded.cached_input_tokens, "
    "output_tokens = output_tokens + excluded.output_tokens, "
    "cost_pico_usd = cost_pico_usd + excluded.cost_pico_usd";

// Views into the batches, which outlive the write.
struct RollupKey {
  absl::string_view team;
  absl::string_view key_id;
  absl::string_view model;
  int64_t hour_start = 0;

  bool operator==(const RollupKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const RollupKey& key) {
    return H::combine(std::move(h), key.team, key.key_id, key.model, key.hour_start);
  }
};

struct RollupSums {
  int64_t requests = 0;
  int64_t failed_requests = 0;
  int64_t input_tokens = 0;
  int64_t cached_input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t cost_pico_usd = 0;
};

bool AddChecked(int64_t& sum, int64_t value) { return !__builtin_add_overflow(sum, value, &sum); }

bool AddRecord(RollupSums& sums, const UsageRecord& record) {
  return AddChecked(sums.requests, 1) &&
         AddChecked(sums.failed_requests, record.status_code() >= 400 ? 1 : 0) &&
         AddChecked(sums.input_tokens, record.input_tokens()) &&
         AddChecked(sums.cached_input_tokens, record.cached_input_tokens()) &&
         AddChecked(sums.output_tokens, record.output_tokens()) &&
         AddChecked(sums.cost_pico_usd, record.cost_pico_usd());
}

}  // namespace

absl::StatusOr<std::unique_ptr<UsageWriter>> UsageWriter::Create(Database& db) {
  std::unique_lock lock = db.Lock();
  GW_ASSIGN_OR_RETURN(Statement insert_record, db.Prepare(kInsertRecord));
  GW_ASSIGN_OR_RETURN(Statement upsert_rollup, db.Prepare(kUpsertRollup));
  return std::unique_ptr<UsageWriter>(
      new UsageWriter(db, std::move(insert_record), std::move(upsert_rollup)));
}

UsageWriter::UsageWriter(Database& db, Statement insert_record, Statement upsert_rollup)
    : db_(db), insert_record_(std::move(insert_record)), upsert_rollup_(std::move(upsert_rollup)) {}

UsageWriter::~UsageWriter() {
  // Statements are finalised under the connection's lock, like every other use of it.
  std::unique_lock lock = db_.Lock();
  insert_record_ = Statement();
  upsert_rollup_ = Statement();
}

absl::StatusOr<UsageWriter::GroupResult> UsageWriter::Write(
    absl::Span<const UsageBatch* const> batches) {
  GroupResult result;
  result.batches.reserve(batches.size());
  absl::flat_hash_map<RollupKey, RollupSums> rollups;

  GW_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  for (const UsageBatch* batch : batches) {
    BatchCounts counts;
    for (const UsageRecord& record : batch->records()) {
      const std::string& worker_id =
          record.worker_id().empty() ? batch->worker_id() : record.worker_id();
      const int64_t ts = TimestampMicros(record.timestamp());
      GW_RETURN_IF_ERROR(insert_record_.Bind(
          record.record_id(), record.request_id(), ts, worker_id, record.team(), record.key_id(),
          record.model(), record.provider(), record.upstream_model(), record.input_tokens(),
          record.cached_input_tokens(), record.output_tokens(), record.latency_us(),
          record.time_to_first_byte_us(), record.status_code(), record.error_code(),
          record.cost_pico_usd(), int64_t{record.estimated() ? 1 : 0},
          int64_t{record.streamed() ? 1 : 0}));
      const int64_t changes_before = db_.TotalChanges();
      GW_RETURN_IF_ERROR(insert_record_.Run());
      if (db_.TotalChanges() == changes_before) {
        ++counts.duplicates;
        continue;
      }
      ++counts.accepted;
      RollupSums& sums =
          rollups[RollupKey{record.team(), record.key_id(), record.model(), HourStartMicros(ts)}];
      if (!AddRecord(sums, record)) {
        return absl::OutOfRangeError(
            "usage rollup sum overflows 64 bits for one team, key, model and hour");
      }
    }
    result.batches.push_back(counts);
  }

  absl::flat_hash_map<std::pair<absl::string_view, int64_t>, int64_t> team_hour_cost;
  for (const auto& [key, sums] : rollups) {
    GW_RETURN_IF_ERROR(upsert_rollup_.Bind(
        key.team, key.key_id, key.model, key.hour_start, sums.requests, sums.failed_requests,
        sums.input_tokens, sums.cached_input_tokens, sums.output_tokens, sums.cost_pico_usd));
    GW_RETURN_IF_ERROR(upsert_rollup_.Run());
    if (sums.cost_pico_usd != 0) {
      int64_t& cost = team_hour_cost[{key.team, key.hour_start}];
      if (!AddChecked(cost, sums.cost_pico_usd)) {
        return absl::OutOfRangeError("usage cost sum overflows 64 bits for one team and hour");
      }
    }
  }
  GW_RETURN_IF_ERROR(tx.Commit());

  result.new_cost.reserve(team_hour_cost.size());
  for (const auto& [team_hour, cost] : team_hour_cost) {
    result.new_cost.push_back(TeamHourCost{std::string(team_hour.first), team_hour.second, cost});
  }
  return result;
}

}  // namespace gw::cp
