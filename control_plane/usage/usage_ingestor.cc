#include "control_plane/usage/usage_ingestor.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "control_plane/usage/usage_validation.h"
#include "spdlog/spdlog.h"

namespace gw::cp {

using gateway::usage::v1::UsageAck;
using gateway::usage::v1::UsageBatch;

absl::StatusOr<std::unique_ptr<UsageIngestor>> UsageIngestor::Start(Database& db, Options options,
                                                                    CommitListener listener) {
  absl::StatusOr<std::unique_ptr<UsageWriter>> writer = UsageWriter::Create(db);
  if (!writer.ok()) return writer.status();
  return std::unique_ptr<UsageIngestor>(
      new UsageIngestor(*std::move(writer), options, std::move(listener)));
}

UsageIngestor::UsageIngestor(std::unique_ptr<UsageWriter> writer, Options options,
                             CommitListener listener)
    : options_(options),
      listener_(std::move(listener)),
      writer_(std::move(writer)),
      thread_([this] { Run(); }) {}

UsageIngestor::~UsageIngestor() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  queued_.notify_one();
  thread_.join();
}

absl::Status UsageIngestor::Submit(UsageBatch batch, AckCallback done) {
  if (absl::Status valid = ValidateUsageBatch(batch); !valid.ok()) return valid;
  const size_t records = static_cast<size_t>(batch.records_size());
  {
    std::lock_guard lock(mu_);
    if (stopping_) return absl::UnavailableError("the control plane is shutting down");
    // One batch is always admitted into an empty queue, however large, so progress is possible.
    if (!queue_.empty() && queued_records_ + records > options_.max_queued_records) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "usage ingestion is behind (", queued_records_, " records queued); retry later"));
    }
    queued_records_ += records;
    ++batches_submitted_;
    queue_.push_back(Pending{std::move(batch), std::move(done)});
  }
  queued_.notify_one();
  return absl::OkStatus();
}

int64_t UsageIngestor::records_stored() const {
  std::lock_guard lock(mu_);
  return records_stored_;
}

int64_t UsageIngestor::commits() const {
  std::lock_guard lock(mu_);
  return commits_;
}

int64_t UsageIngestor::batches_submitted() const {
  std::lock_guard lock(mu_);
  return batches_submitted_;
}

void UsageIngestor::Run() {
  std::vector<Pending> group;
  while (true) {
    {
      std::unique_lock lock(mu_);
      queued_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      // Shutdown still stores what was accepted: those workers wait for their acks.
      if (queue_.empty()) return;
      size_t records = 0;
      while (!queue_.empty() && (group.empty() || records < options_.max_records_per_transaction)) {
        records += static_cast<size_t>(queue_.front().batch.records_size());
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      queued_records_ -= records;
    }
    Store(group);
    group.clear();
  }
}

void UsageIngestor::Store(std::vector<Pending>& group) {
  std::vector<const UsageBatch*> batches;
  batches.reserve(group.size());
  for (const Pending& pending : group) batches.push_back(&pending.batch);

  std::vector<absl::StatusOr<UsageAck>> acks;
  std::vector<TeamHourCost> new_cost;
  int64_t stored = 0;
  int64_t commits = 0;
  auto collect = [&](absl::Span<const UsageBatch* const> part) {
    absl::StatusOr<UsageWriter::GroupResult> result = writer_->Write(part);
    if (!result.ok()) return result.status();
    ++commits;
    for (size_t i = 0; i < part.size(); ++i) {
      UsageAck ack;
      ack.set_batch_id(part[i]->batch_id());
      ack.set_accepted(result->batches[i].accepted);
      ack.set_duplicates(result->batches[i].duplicates);
      stored += result->batches[i].accepted;
      acks.push_back(std::move(ack));
    }
    for (TeamHourCost& cost : result->new_cost) new_cost.push_back(std::move(cost));
    return absl::OkStatus();
  };

  if (absl::Status shared = collect(batches); !shared.ok()) {
    // Nothing was stored; find the batch at fault by storing each alone.
    if (batches.size() > 1) {
      spdlog::warn("usage group commit of {} batches failed ({}); storing them one by one",
                   batches.size(), shared.ToString());
    }
    for (const UsageBatch* batch : batches) {
      absl::Status alone = batches.size() > 1 ? collect(absl::MakeConstSpan(&batch, 1)) : shared;
      if (!alone.ok()) {
        spdlog::error("usage batch {} of worker {} not stored: {}", batch->batch_id(),
                      batch->worker_id(), alone.ToString());
        acks.push_back(alone);
      }
    }
  }
  {
    std::lock_guard lock(mu_);
    records_stored_ += stored;
    commits_ += commits;
  }
  // Cost first, so that whoever reads the spend after seeing an ack finds the batch counted.
  if (!new_cost.empty() && listener_) listener_(new_cost);
  for (size_t i = 0; i < group.size(); ++i) group[i].done(std::move(acks[i]));
}

}  // namespace gw::cp
