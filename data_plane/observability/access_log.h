// The worker's access log: one JSON line per metered request, rendered from the request's usage
// record (so the access log and the billing record never disagree), buffered in memory and
// written by a background thread, as nginx's `access_log ... buffer=64k flush=1s` does.
//   GW_ASSIGN_OR_RETURN(auto log, AccessLog::Open({.path = "var/log/access.log"}));
//   log->Append(record);  // request threads: formats and buffers, never touches the file
//   log->Reopen();        // after logrotate renamed the file (SIGHUP)
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gateway/usage/v1/usage.pb.h"

namespace gw::dp {

struct AccessLogOptions {
  std::string path;  // Required; opened with O_APPEND|O_CREAT, mode 0640 (before the umask).
  // The flusher writes once this many bytes are buffered...
  size_t buffer_bytes = 64 * 1024;
  // ...or once the oldest buffered line is this old, whichever comes first.
  absl::Duration flush_interval = absl::Seconds(1);
  // Lines that would grow the buffer past this (the file cannot keep up) are dropped and counted
  // rather than letting memory grow without bound.
  size_t max_buffer_bytes = 8 * 1024 * 1024;
};

// Appends the access log line of `record` (a JSON object and '\n') to `out`. Keys in a fixed
// order; see docs/access-log.md. Allocation-free once `out` has the capacity.
void AppendAccessLogLine(const gateway::usage::v1::UsageRecord& record, std::string* out);

class AccessLog {
 public:
  // Opens (creates) the file and starts the flusher thread; fails with the path and the OS's
  // reason when the file cannot be opened for appending.
  static absl::StatusOr<std::unique_ptr<AccessLog>> Open(AccessLogOptions options);

  // Writes what is buffered, stops the flusher and closes the file.
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Thread-safe. Formats the line on the caller's thread (into a per-thread scratch string) and
  // copies it into the buffer under a short lock; no I/O, no allocation after warm-up.
  void Append(const gateway::usage::v1::UsageRecord& record);

  // Writes what is buffered to the current file, then opens the path again: after a rotation
  // renamed the file, later lines go to a new file at the path. On failure the old file stays in
  // use and the error names the path.
  absl::Status Reopen();

  // Writes everything appended before the call; the first write error, if any.
  absl::Status Flush();

  // Lines dropped because the buffer was at max_buffer_bytes.
  uint64_t dropped_lines() const { return dropped_lines_.load(std::memory_order_relaxed); }
  // Lines lost to write errors (a full disk, an I/O error).
  uint64_t lost_lines() const { return lost_lines_.load(std::memory_order_relaxed); }

 private:
  AccessLog(AccessLogOptions options, int fd);

  void RunFlusher();
  // Swaps the buffer out and writes it. Returns the write error, if any.
  absl::Status WriteBuffered() ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mutex_);
  // Logs drops and losses at the 1st, 2nd, 4th, 8th, ... of each (on the flusher's thread).
  void ReportLosses() ABSL_EXCLUSIVE_LOCKS_REQUIRED(io_mutex_);

  const AccessLogOptions options_;

  // Held by whoever writes to the file: the flusher, Flush, Reopen. Taken before mutex_.
  absl::Mutex io_mutex_;
  int fd_ ABSL_GUARDED_BY(io_mutex_);
  // The buffer being written; swapped with buffer_ so both keep their capacity.
  std::string writing_ ABSL_GUARDED_BY(io_mutex_);
  uint64_t reported_dropped_ ABSL_GUARDED_BY(io_mutex_) = 0;
  uint64_t reported_lost_ ABSL_GUARDED_BY(io_mutex_) = 0;
  std::string last_error_ ABSL_GUARDED_BY(io_mutex_);
  // The last write stopped inside a line.
  bool line_cut_ ABSL_GUARDED_BY(io_mutex_) = false;

  // Guards the buffer request threads append to; held only to copy a line or swap buffers.
  absl::Mutex mutex_;
  std::string buffer_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  absl::CondVar flusher_wake_;  // The first line, a full buffer, or stopping.

  std::atomic<uint64_t> dropped_lines_{0};
  std::atomic<uint64_t> lost_lines_{0};
  std::thread flusher_;
};

}  // namespace gw::dp
