// Stores usage batches in SQLite: the raw records (idempotent on record_id) and the hourly
// rollups of the records that were new, all in one transaction per call (group commit).
//   GW_ASSIGN_OR_RETURN(auto writer, UsageWriter::Create(db));
//   GW_ASSIGN_OR_RETURN(UsageWriter::GroupResult r, writer->Write({&batch_a, &batch_b}));
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "control_plane/store/database.h"
#include "gateway/usage/v1/usage.pb.h"

namespace gw::cp {

// Cost newly stored for one team in one UTC hour; what the budget state adds up.
struct TeamHourCost {
  std::string team;
  int64_t hour_start = 0;
  int64_t cost_pico_usd = 0;
};

// Not thread-safe: one writer thread owns it. Its prepared statements are reused for every
// write, so it must be destroyed before the Database.
class UsageWriter {
 public:
  struct BatchCounts {
    int32_t accepted = 0;    // Records stored by this write.
    int32_t duplicates = 0;  // Records whose record_id was already stored (or repeated).
  };
  struct GroupResult {
    // One entry per batch, in the order given.
    std::vector<BatchCounts> batches;
    // The new records' cost per team and hour, for the spend state.
    std::vector<TeamHourCost> new_cost;
  };

  // Prepares the statements. `db` must have the usage schema (migration 0002) and outlive this.
  static absl::StatusOr<std::unique_ptr<UsageWriter>> Create(Database& db);
  ~UsageWriter();

  // In one BEGIN IMMEDIATE transaction: inserts every record not stored yet, adds the new ones
  // to the hourly rollups (summed in memory first, one upsert per team/key/model/hour), commits
  // (durable on return: the database runs WAL with synchronous=FULL). On any error nothing is
  // stored. Records must have been validated (ValidateUsageBatch); a record's empty worker_id
  // takes its batch's. OUT_OF_RANGE when a rollup sum would overflow int64.
  absl::StatusOr<GroupResult> Write(
      absl::Span<const gateway::usage::v1::UsageBatch* const> batches);

 private:
  UsageWriter(Database& db, Statement insert_record, Statement upsert_rollup);

  Database& db_;
  Statement insert_record_;
  Statement upsert_rollup_;
};

}  // namespace gw::cp
