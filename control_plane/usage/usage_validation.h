// Checks a usage batch before it is queued for storage. A batch with one bad record is refused
// whole (nothing of it is stored), so a record is never dropped silently.
//   if (absl::Status s = ValidateUsageBatch(batch); !s.ok()) return s;  // INVALID_ARGUMENT
#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "gateway/usage/v1/usage.pb.h"

namespace gw::cp {

inline constexpr size_t kMaxRecordIdLength = 128;
// Names, ids and codes other than record_id; far above any real value, it only keeps a broken
// worker from filling the database with megabyte strings.
inline constexpr size_t kMaxUsageTextLength = 256;

// OK, or INVALID_ARGUMENT naming the batch, the record's index and id, and the rule broken:
// record_id of 1..128 characters; a valid timestamp; non-negative tokens, latencies and cost;
// status_code within 0..999; text fields of at most 256 characters.
absl::Status ValidateUsageBatch(const gateway::usage::v1::UsageBatch& batch);

}  // namespace gw::cp
