// The worker's usage reporter: request threads Submit records without blocking; one writer thread
// spools them (one fsync per drained batch); one sender thread streams them to the control plane
// on UsageReporting/ReportUsage and deletes them from the spool only once acknowledged.
//   UsageReporter reporter(options, spool.get());  reporter.Start();
//   reporter.Submit(record);  ...  reporter.Flush(absl::Now() + absl::Seconds(5));
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "data_plane/usage/usage_spool.h"
#include "gateway/usage/v1/usage.pb.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/impl/rpc_method.h"

namespace gw::dp {

struct UsageReporterOptions {
  std::string control_plane;  // host:port
  std::string worker_token;   // Sent as `authorization: Bearer <token>`; never logged.
  std::string worker_id;
  // A batch leaves when it holds this many records or its first record waited `linger`,
  // whichever comes first, so that a record reaches the control plane well within a second.
  size_t max_batch_records = 500;
  absl::Duration linger = absl::Milliseconds(200);
  // When more than max_batch_records already wait in the spool (a backlog after an outage or a
  // slow control plane), a batch takes up to this many: catching up then costs a quarter of the
  // round trips, and the control plane stores about 1.5x the records per CPU-second.
  size_t backlog_batch_records = 2'000;
  // With a backlog, up to this many batches go out before the first ack comes back, so that the
  // control plane commits one while the next travels (it reads up to 4 per stream ahead).
  size_t max_batches_in_flight = 2;
  // The writer gathers records this long before each write + fdatasync (group commit), so a busy
  // worker syncs at most 1 / interval times a second instead of once per request: a sync per
  // request cost each request a thread wake-up and a disk flush on the serving core. Records
  // are in memory until then, as they already were while the previous sync ran; Flush and Stop
  // cut the wait short.
  absl::Duration spool_commit_interval = absl::Milliseconds(10);
  // Records accepted from request threads but not yet spooled; beyond this Submit refuses.
  size_t max_queued_records = 100'000;
  // Channel settings as the ConfigDiscovery client's: doubling, jittered into [d/2, d], capped.
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(2);
  absl::Duration keepalive_time = absl::Seconds(10);
  absl::Duration keepalive_timeout = absl::Seconds(5);
};

class UsageReporter {
 public:
  // `spool` must outlive the reporter.
  UsageReporter(UsageReporterOptions options, UsageSpool* spool);
  ~UsageReporter();
  UsageReporter(const UsageReporter&) = delete;
  UsageReporter& operator=(const UsageReporter&) = delete;

  void Start();
  // Spools whatever is queued, cancels the stream and joins. Unsent records stay in the spool for
  // the next start. Idempotent.
  void Stop();

  // For request threads: serializes the record, then takes a mutex briefly; never waits on disk
  // or network. False (counted in refused_records(), logged) when the queue is full; records the
  // spool refuses later (spool full or failing) are counted and logged the same way.
  bool Submit(const gateway::usage::v1::UsageRecord& record);

  // For SIGTERM: spools everything submitted so far, sends it without lingering and waits for
  // its acks. DEADLINE_EXCEEDED (the records stay spooled for the next start) when `deadline`
  // passes first.
  absl::Status Flush(absl::Time deadline);

  bool connected() const { return connected_.load(std::memory_order_acquire); }
  // Records refused by Submit (queue full) or by the spool (full or failing).
  int64_t refused_records() const { return refused_.load(std::memory_order_relaxed); }
  // Records the control plane refused for good and that went to the spool's rejected.log.
  int64_t set_aside_records() const { return set_aside_.load(std::memory_order_relaxed); }

 private:
  void WriterLoop();
  void SenderLoop();
  // Blocks until the channel is connected (true) or Stop() is called (false).
  bool WaitForChannel();
  // One stream; true when the control plane acknowledged at least one batch.
  bool RunStream();
  // Waits for pending records and lingers; empty when stopping.
  std::vector<SpooledRecord> NextBatch();
  // A full batch of the records after `after` (the last one in flight) when a backlog holds one
  // already; otherwise empty, without waiting.
  std::vector<SpooledRecord> ReadyBatchAfter(uint64_t after, size_t in_flight_records) const;
  // The batch size for `waiting` records not yet in flight.
  size_t BatchLimit(size_t waiting) const;
  // Moves the spooled record `sequence`, refused alone by the control plane, to rejected.log and
  // acknowledges it; true when it did.
  bool SetAside(uint64_t sequence, absl::string_view reason);
  bool SleepUnlessStopped(absl::Duration delay);
  bool stopping() const;
  void NotifyProgress();

  const UsageReporterOptions options_;
  UsageSpool* const spool_;
  std::shared_ptr<grpc::Channel> channel_;
  // UsageReporting/ReportUsage, called with UsageBatchBytes in place of UsageBatch (the generated
  // stub would insist on parsed records).
  grpc::internal::RpcMethod report_usage_;

  mutable std::mutex mu_;
  std::condition_variable changed_;                // Queue, spool or acks moved, or stopping.
  std::vector<std::string> queue_;                 // Serialized records. Guarded by mu_.
  bool appending_ = false;                         // Guarded by mu_.
  bool writer_idle_ = false;                       // Guarded by mu_.
  bool stopping_ = false;                          // Guarded by mu_.
  bool writer_stopping_ = false;                   // Guarded by mu_.
  grpc::ClientContext* active_context_ = nullptr;  // Guarded by mu_.

  std::atomic<bool> flushing_{false};
  std::atomic<bool> connected_{false};
  std::atomic<int64_t> refused_{0};
  std::atomic<int64_t> set_aside_{0};
  // Sender thread only: records up to this sequence go one per batch, to find the one the
  // control plane refused; and whether the next stream should start without backoff.
  uint64_t isolate_up_to_ = 0;
  bool retry_now_ = false;
  uint64_t next_batch_id_ = 1;
  std::thread writer_;
  std::thread sender_;
};

}  // namespace gw::dp
