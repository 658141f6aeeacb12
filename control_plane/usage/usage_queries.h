// Usage reports for the Admin API: the latest raw records (`gwctl usage`) and spend summed over
// the hourly rollups (`gwctl spend`), never over the raw records.
//   UsageQueries queries(store.database());
//   GW_RETURN_IF_ERROR(queries.GetSpend(request, response));
#pragma once

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "control_plane/store/database.h"
#include "gateway/admin/v1/admin.pb.h"

namespace gw::cp {

// Cheap to construct (statements are prepared per call); thread-safe as the Database is. Reads
// share the one connection under its lock, so they see every acknowledged batch.
class UsageQueries {
 public:
  static constexpr int32_t kDefaultListLimit = 20;
  // gwctl usage -n accepts up to this many; about 25 MB of records at most.
  static constexpr int32_t kMaxListLimit = 100'000;

  // `now` decides the default period of GetSpend (the current UTC calendar month).
  explicit UsageQueries(
      Database& db, std::function<absl::Time()> now = [] { return absl::Now(); })
      : db_(db), now_(std::move(now)) {}

  // The latest records, newest first (ties in the order stored, newest first), of one team when
  // `team` is set. limit 0 means 20; INVALID_ARGUMENT for a negative limit or one above 100000.
  absl::Status ListUsage(const gateway::admin::v1::ListUsageRequest& request,
                         gateway::admin::v1::ListUsageResponse& response) const;

  // Sums per group of the requested fields (any subset of team, key, model, day; repeats
  // ignored; none: one total row), rows sorted by team, key, model, day. `from`/`to` are
  // inclusive UTC dates, both or neither (neither: the current UTC month). `team` filters.
  // No usage in the range: no rows. INVALID_ARGUMENT for a bad date, only one of from/to, from
  // after to, or an unspecified grouping; OUT_OF_RANGE when a sum overflows int64.
  absl::Status GetSpend(const gateway::admin::v1::GetSpendRequest& request,
                        gateway::admin::v1::GetSpendResponse& response) const;

 private:
  Database& db_;
  std::function<absl::Time()> now_;
};

}  // namespace gw::cp
