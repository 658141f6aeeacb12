// Queues usage batches from any number of streams and stores them on one writer thread with
// group commit: every batch pending when the writer is free goes into one transaction, and each
// batch's acknowledgement is handed back only after that transaction is durable.
//   auto ingestor = UsageIngestor::Start(db, {}, [&](const auto& cost) { spend.Add(cost); });
//   (*ingestor)->Submit(std::move(batch), [](absl::StatusOr<UsageAck> ack) { ... });
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "control_plane/store/database.h"
#include "control_plane/usage/usage_writer.h"
#include "gateway/usage/v1/usage.pb.h"

namespace gw::cp {

// Thread-safe. SQLite is touched only on the writer thread, never on the caller's (gRPC) thread.
class UsageIngestor {
 public:
  // Runs on the writer thread, once per submitted batch: the ack after the commit, or the error
  // that kept the batch from being stored (nothing of it was).
  using AckCallback = std::function<void(absl::StatusOr<gateway::usage::v1::UsageAck>)>;
  // Runs on the writer thread after each commit that stored new cost.
  using CommitListener = std::function<void(const std::vector<TeamHourCost>& new_cost)>;

  struct Options {
    // The writer starts a new transaction once this many records are in the current one, so a
    // backlog is stored in a few large commits without one commit growing without bound.
    size_t max_records_per_transaction = 20'000;
    // Records queued and not yet taken by the writer. Callers keep a few batches per stream in
    // flight, so this bounds the backlog of a burst of reconnecting workers; beyond it Submit
    // answers RESOURCE_EXHAUSTED and the worker retries later.
    size_t max_queued_records = 1'000'000;
  };

  static absl::StatusOr<std::unique_ptr<UsageIngestor>> Start(Database& db, Options options,
                                                              CommitListener listener);
  // Stores everything queued, then stops the writer.
  ~UsageIngestor();

  UsageIngestor(const UsageIngestor&) = delete;
  UsageIngestor& operator=(const UsageIngestor&) = delete;

  // Validates `batch` (ValidateUsageBatch) and queues it. OK means `done` will run exactly once,
  // on the writer thread (possibly before Submit returns). Otherwise `done` never runs and the
  // status says why: INVALID_ARGUMENT for a bad record, RESOURCE_EXHAUSTED when the queue is
  // full, UNAVAILABLE after shutdown began.
  absl::Status Submit(gateway::usage::v1::UsageBatch batch, AckCallback done);

  // Records stored (not counting duplicates) since start; for tests and logs.
  int64_t records_stored() const;
  // Transactions committed since start.
  int64_t commits() const;
  // Batches Submit accepted since start, stored or not yet; for tests and logs.
  int64_t batches_submitted() const;

 private:
  struct Pending {
    gateway::usage::v1::UsageBatch batch;
    AckCallback done;
  };

  UsageIngestor(std::unique_ptr<UsageWriter> writer, Options options, CommitListener listener);
  void Run();
  // Stores `group` (one transaction, or one per batch when the shared one fails, so that one
  // bad batch does not fail its neighbours) and completes every callback.
  void Store(std::vector<Pending>& group);

  const Options options_;
  const CommitListener listener_;
  std::unique_ptr<UsageWriter> writer_;  // Writer thread only.

  // std:: rather than absl::Mutex: Debian's abseil is not built for ThreadSanitizer.
  mutable std::mutex mu_;
  std::condition_variable queued_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_records_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t records_stored_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t commits_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t batches_submitted_ ABSL_GUARDED_BY(mu_) = 0;

  std::thread thread_;  // Last: started once everything above is ready.
};

}  // namespace gw::cp
