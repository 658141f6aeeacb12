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
    FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "control plane is shutting down"));
    return;
  }
  // Close() may have run between Attach and here.
  if (!finish_called_) StartRead(&batch_);
}

void UsageStreamReactor::Close(const grpc::Status& status) {
  std::lock_guard lock(mu_);
  if (!closing_status_.has_value()) closing_status_ = status;
  // With a batch pending or its ack being written, the stream ends right after that ack.
  if (!pending_ && !writing_) FinishLocked(status);
}

void UsageStreamReactor::OnReadDone(bool ok) {
  std::lock_guard lock(mu_);
  if (finish_called_ || finish_wanted_.has_value()) return;
  if (!ok) {
    // The worker half-closed (every batch it sent is acknowledged) or the call is gone.
    FinishLocked(grpc::Status::OK);
    return;
  }
  if (closing_status_.has_value()) {
    // Not acknowledged, so the worker sends it again to the next control plane.
    FinishLocked(*closing_status_);
    return;
  }
  if (worker_id_.empty()) worker_id_ = batch_.worker_id();
  ++batches_;
  const uint64_t batch_id = batch_.batch_id();
  // The callback may run on the writer thread before Submit returns; it waits for mu_.
  pending_ = true;
  absl::Status submitted = ingestor_.Submit(
      std::move(batch_), [this](absl::StatusOr<UsageAck> ack) { OnStored(std::move(ack)); });
  batch_.Clear();
  if (!submitted.ok()) {
    pending_ = false;
    spdlog::warn("usage batch {} from worker {} ({}) refused: {}", batch_id, worker_id_, peer_,
                 submitted.ToString());
    FinishLocked(ToGrpcStatus(submitted));
  }
}

void UsageStreamReactor::OnStored(absl::StatusOr<UsageAck> ack) {
  std::lock_guard lock(mu_);
  pending_ = false;
  if (!ack.ok()) {
    FinishLocked(ToGrpcStatus(ack.status()));
    return;
  }
  if (finish_wanted_.has_value()) {
    grpc::Status status = *std::move(finish_wanted_);
    finish_wanted_.reset();
    FinishLocked(std::move(status));
    return;
  }
  ack_ = *std::move(ack);
  writing_ = true;
  StartWrite(&ack_);
}

void UsageStreamReactor::OnWriteDone(bool ok) {
  std::lock_guard lock(mu_);
  writing_ = false;
  if (finish_wanted_.has_value()) {
    grpc::Status status = *std::move(finish_wanted_);
    finish_wanted_.reset();
    FinishLocked(std::move(status));
    return;
  }
  if (!ok) {
    // The batch is stored; the worker, never having seen the ack, replays it as duplicates.
    FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "usage stream write failed"));
    return;
  }
  if (closing_status_.has_value()) {
    FinishLocked(*closing_status_);
    return;
  }
  StartRead(&batch_);
}

void UsageStreamReactor::FinishLocked(grpc::Status status) {
  if (finish_called_) return;
  if (pending_ || writing_) {
    // The ingestor's callback or OnWriteDone finishes later; until then the reactor must live.
    if (!finish_wanted_.has_value()) finish_wanted_ = std::move(status);
    return;
  }
  finish_called_ = true;
  Finish(std::move(status));
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
