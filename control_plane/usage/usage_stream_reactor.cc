#include "control_plane/usage/usage_stream_reactor.h"

#include <utility>

#include "common/grpc_status.h"
#include "spdlog/spdlog.h"

namespace gw::cp {

using gateway::usage::v1::UsageAck;

// ---- UsageStreamSet ----

bool UsageStreamSet::Attach(UsageStreamReactor* stream) {
  std::lock_guard lock(mu_);
  if (closed_) return false;
  streams_.insert(stream);
  return true;
}

void UsageStreamSet::Detach(UsageStreamReactor* stream) {
  std::lock_guard lock(mu_);
  streams_.erase(stream);
}

void UsageStreamSet::CloseAll(const grpc::Status& status) {
  // Under the set's lock, so that no stream is deleted (OnDone detaches first) while closed.
  std::lock_guard lock(mu_);
  closed_ = true;
  for (UsageStreamReactor* stream : streams_) stream->Close(status);
}

size_t UsageStreamSet::size() const {
  std::lock_guard lock(mu_);
  return streams_.size();
}

// ---- UsageStreamReactor ----

UsageStreamReactor::UsageStreamReactor(UsageStreamSet& streams, UsageIngestor& ingestor,
                                       std::string peer)
    : streams_(streams), ingestor_(ingestor), peer_(std::move(peer)) {
  // Attach before taking mu_: CloseAll takes the set's lock and then mu_.
  const bool attached = streams_.Attach(this);
  std::lock_guard lock(mu_);
  if (!attached) {
    EndLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "control plane is shutting down"));
  }
  // Close() may have run between Attach and here.
  MaybeReadLocked();
  MaybeFinishLocked();
}

void UsageStreamReactor::Close(const grpc::Status& status) {
  std::lock_guard lock(mu_);
  EndLocked(status);
  MaybeFinishLocked();
}

void UsageStreamReactor::OnReadDone(bool ok) {
  std::lock_guard lock(mu_);
  reading_ = false;
  if (!ok) {
    // The worker half-closed (the acks of what it sent are still written) or the call is gone.
    EndLocked(grpc::Status::OK);
  } else if (end_status_.has_value()) {
    // Not acknowledged, so the worker sends it again (to the next control plane).
    batch_.Clear();
  } else {
    if (worker_id_.empty()) worker_id_ = batch_.worker_id();
    ++batches_;
    const uint64_t batch_id = batch_.batch_id();
    // The callback may run on the writer thread before Submit returns; it waits for mu_.
    ++submitted_;
    absl::Status submitted = ingestor_.Submit(
        std::move(batch_), [this](absl::StatusOr<UsageAck> ack) { OnStored(std::move(ack)); });
    batch_.Clear();
    if (!submitted.ok()) {
      --submitted_;
      spdlog::warn("usage batch {} from worker {} ({}) refused: {}", batch_id, worker_id_, peer_,
                   submitted.ToString());
      // The batches before it are still acknowledged once stored.
      EndLocked(ToGrpcStatus(submitted));
    }
  }
  MaybeReadLocked();
  MaybeFinishLocked();
}

void UsageStreamReactor::OnStored(absl::StatusOr<UsageAck> ack) {
  std::lock_guard lock(mu_);
  --submitted_;
  if (!ack.ok()) {
    // Later batches of this stream may still be stored, but acking them past a gap would
    // break the in-order acks; the worker replays them and they count as duplicates.
    acks_stopped_ = true;
    EndLocked(ToGrpcStatus(ack.status()));
  } else if (!acks_stopped_) {
    stored_acks_.push_back(*std::move(ack));
  }
  MaybeWriteLocked();
  MaybeFinishLocked();
}

void UsageStreamReactor::OnWriteDone(bool ok) {
  std::lock_guard lock(mu_);
  writing_ = false;
  if (!ok) {
    // The batch is stored; the worker, never having seen the ack, replays it as duplicates.
    acks_stopped_ = true;
    stored_acks_.clear();
    EndLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "usage stream write failed"));
  }
  MaybeWriteLocked();
  MaybeReadLocked();
  MaybeFinishLocked();
}

void UsageStreamReactor::EndLocked(grpc::Status status) {
  if (!end_status_.has_value()) end_status_ = std::move(status);
}

size_t UsageStreamReactor::InFlightLocked() const {
  return submitted_ + stored_acks_.size() + (writing_ ? 1 : 0);
}

void UsageStreamReactor::MaybeReadLocked() {
  if (reading_ || finish_called_ || end_status_.has_value()) return;
  if (InFlightLocked() >= kMaxBatchesInFlight) return;  // OnWriteDone reads on.
  reading_ = true;
  StartRead(&batch_);
}

void UsageStreamReactor::MaybeWriteLocked() {
  if (writing_ || finish_called_ || stored_acks_.empty()) return;
  ack_ = std::move(stored_acks_.front());
  stored_acks_.pop_front();
  writing_ = true;
  StartWrite(&ack_);
}

void UsageStreamReactor::MaybeFinishLocked() {
  if (finish_called_ || !end_status_.has_value()) return;
  // The ingestor's callbacks and OnWriteDone must find the reactor alive; stored acks are
  // written first. An outstanding Read is fine: Finish completes it with ok=false.
  if (submitted_ > 0 || writing_ || !stored_acks_.empty()) return;
  finish_called_ = true;
  Finish(*end_status_);
}

void UsageStreamReactor::OnDone() {
  streams_.Detach(this);
  {
    std::lock_guard lock(mu_);
    spdlog::debug("usage stream closed: worker {} ({}), {} batches", worker_id_, peer_, batches_);
  }
  delete this;
}

}  // namespace gw::cp
