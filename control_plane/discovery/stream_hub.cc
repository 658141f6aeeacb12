#include "control_plane/discovery/stream_hub.h"

#include <utility>

#include "control_plane/discovery/config_stream_reactor.h"

namespace gw::cp {

bool StreamHub::Attach(ConfigStreamReactor* stream) {
  absl::MutexLock lock(&mu_);
  if (closed_) return false;
  streams_.insert(stream);
  if (snapshot_ != nullptr) stream->OfferSnapshot(snapshot_);
  if (budget_ != nullptr) stream->OfferBudgetState(budget_);
  if (revocations_ != nullptr) stream->OfferRevocations(revocations_);
  return true;
}

void StreamHub::Detach(ConfigStreamReactor* stream) {
  absl::MutexLock lock(&mu_);
  streams_.erase(stream);
}

void StreamHub::PublishSnapshot(std::shared_ptr<const PublishedSnapshot> snapshot) {
  absl::MutexLock lock(&mu_);
  snapshot_ = std::move(snapshot);
  // Each offer only records the pointer and perhaps starts a non-blocking write.
  for (ConfigStreamReactor* stream : streams_) stream->OfferSnapshot(snapshot_);
}

void StreamHub::PublishBudgetState(std::shared_ptr<const PublishedBudgetState> state) {
  absl::MutexLock lock(&mu_);
  if (budget_ != nullptr && state->sequence < budget_->sequence) return;
  budget_ = std::move(state);
  for (ConfigStreamReactor* stream : streams_) stream->OfferBudgetState(budget_);
}

void StreamHub::PublishRevocations(std::shared_ptr<const PublishedRevocations> revocations) {
  absl::MutexLock lock(&mu_);
  if (revocations_ != nullptr && revocations->sequence < revocations_->sequence) return;
  revocations_ = std::move(revocations);
  for (ConfigStreamReactor* stream : streams_) stream->OfferRevocations(revocations_);
}

void StreamHub::CloseAll(const grpc::Status& status) {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  for (ConfigStreamReactor* stream : streams_) stream->Close(status);
}

size_t StreamHub::open_streams() const {
  absl::MutexLock lock(&mu_);
  return streams_.size();
}

}  // namespace gw::cp
