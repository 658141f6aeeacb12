// The worker's crash-safe, append-only spool of usage records in its state dir: records stay on
// disk from Append (one fsync per call) until the control plane acknowledged them.
//   auto spool = UsageSpool::Open({.directory = state_dir + "/usage-spool"});
//   (*spool)->Append(std::move(serialized_records));  ...  (*spool)->Acknowledge(last_acked);
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gw::dp {

struct UsageSpoolOptions {
  std::string directory;
  // When the unacknowledged records on disk would exceed this, Append refuses the whole call
  // with RESOURCE_EXHAUSTED and counts the records in refused_records(): nothing already spooled
  // is ever dropped to make room, and nothing is silently lost.
  int64_t max_bytes = int64_t{256} << 20;
  // A new segment file starts once the current one reaches this size; a segment is deleted as
  // soon as every record in it is acknowledged.
  int64_t segment_bytes = int64_t{4} << 20;
};

// Records travel serialized from the request thread to the control plane: the spool writes the
// bytes and the reporter forwards them without ever parsing a record (see UsageBatchBytes).
struct SpooledRecord {
  uint64_t sequence = 0;  // Spool-local, increasing in append order; never sent.
  std::string payload;    // A serialized gateway.usage.v1.UsageRecord.
};

// Thread-safe. Files: segment-<first sequence>.log, each entry [u32 payload length][u32 CRC-32
// of sequence and payload][u64 sequence][serialized UsageRecord], sequences consecutive from the
// name's; rejected.log holds records the control plane refused for good, in the same format;
// spare-segment.bin is the last fully acknowledged segment, renamed and written over by the next
// new one (a sync of blocks a file already has costs half of one that grows it). Entries past the
// new ones with older sequences are what it held before, never replayed.
class UsageSpool {
 public:
  // Recovers every complete entry of every segment; a torn or corrupt tail (a crash mid-write)
  // is logged and cut off. Appends always go to a fresh segment.
  static absl::StatusOr<std::unique_ptr<UsageSpool>> Open(UsageSpoolOptions options);
  ~UsageSpool();
  UsageSpool(const UsageSpool&) = delete;
  UsageSpool& operator=(const UsageSpool&) = delete;

  // Writes all serialized records and fsyncs once: durable when OK, and the payloads are moved
  // into the spool. RESOURCE_EXHAUSTED when full; `payloads` are left untouched on failure.
  absl::Status Append(std::vector<std::string>&& payloads);

  // Up to `max_records` unacknowledged records with a sequence above `after`, oldest first.
  std::vector<SpooledRecord> Pending(uint64_t after, size_t max_records) const;
  // Waits until at least `count` records are pending (true), `deadline`, or a WakeWaiters after
  // the `wakes_seen`-th (read from wakes() before the caller checked what a wake-up is for, so
  // that none is missed in between). Appends wake a waiter only once there are enough: a sender
  // gathering a batch sleeps through the group commits that do not fill it.
  bool WaitForPendingCount(size_t count, absl::Time deadline, uint64_t wakes_seen) const;
  // Ends every wait of WaitForPendingCount now (a flush or a stop wants the records as they are).
  void WakeWaiters() const;
  uint64_t wakes() const;

  // Forgets every record with a sequence up to `up_to`, deleting fully acknowledged segments.
  absl::Status Acknowledge(uint64_t up_to);

  // Appends a record the control plane refuses for good to rejected.log (fsynced) and logs it;
  // the caller then acknowledges it like a delivered one.
  absl::Status SetAside(const SpooledRecord& record, absl::string_view reason);

  size_t pending_count() const;
  int64_t disk_bytes() const;
  // The sequence of the newest appended record (0 when none ever was).
  uint64_t last_sequence() const;
  int64_t refused_records() const;
  int segment_count() const;

 private:
  struct Segment {
    std::string path;
    uint64_t last_sequence = 0;
    int64_t bytes = 0;
  };

  explicit UsageSpool(UsageSpoolOptions options);
  absl::Status Recover();
  absl::Status RecoverSegment(const std::string& path, uint64_t first_sequence);
  absl::Status OpenNewSegment();  // Requires mu_.
  void CloseActive();             // Requires mu_.

  const UsageSpoolOptions options_;
  const std::string spare_path_;
  mutable std::mutex mu_;
  mutable std::condition_variable appended_;
  mutable absl::InlinedVector<size_t, 2> wanted_counts_;  // One per waiter.
  mutable uint64_t wakes_ = 0;                            // WakeWaiters calls so far.
  std::deque<Segment> segments_;                          // Oldest first.
  std::deque<SpooledRecord> pending_;                     // Unacknowledged, oldest first.
  int active_fd_ = -1;      // The newest segment while it takes appends.
  bool has_spare_ = false;  // A retired segment waits to be written over.
  uint64_t next_sequence_ = 1;
  int64_t disk_bytes_ = 0;
  int64_t refused_records_ = 0;
};

}  // namespace gw::dp
