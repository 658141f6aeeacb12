#include "control_plane/discovery/config_stream_reactor.h"

#include "absl/strings/str_cat.h"
#include "control_plane/discovery/config_response_encoding.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "spdlog/spdlog.h"

namespace gw::cp {
namespace {

// Enough to tell which version a late NACK refers to; older nonces are long answered.
constexpr size_t kRememberedNonces = 16;
// A NACK message is shown in `gwctl status`, not stored whole if a worker sends a novel.
constexpr size_t kMaxNackMessage = 1024;

}  // namespace

ConfigStreamReactor::ConfigStreamReactor(StreamHub& hub, WorkerRegistry& registry, std::string peer)
    : hub_(hub), registry_(registry), peer_(std::move(peer)) {
  absl::MutexLock lock(&mu_);
  StartRead(&read_buffer_);
  // Attach calls Offer* with the hub's lock held, which takes mu_: release it first.
  mu_.Unlock();
  const bool attached = hub_.Attach(this);
  mu_.Lock();
  if (!attached) {
    FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "control plane is shutting down"));
  }
}

void ConfigStreamReactor::OfferSnapshot(std::shared_ptr<const PublishedSnapshot> snapshot) {
  absl::MutexLock lock(&mu_);
  snapshot_ = std::move(snapshot);
  MaybeWriteLocked();
}

void ConfigStreamReactor::OfferBudgetState(std::shared_ptr<const PublishedBudgetState> state) {
  absl::MutexLock lock(&mu_);
  budget_ = std::move(state);
  MaybeWriteLocked();
}

void ConfigStreamReactor::OfferRevocations(
    std::shared_ptr<const PublishedRevocations> revocations) {
  absl::MutexLock lock(&mu_);
  revocations_ = std::move(revocations);
  MaybeWriteLocked();
}

void ConfigStreamReactor::Close(const grpc::Status& status) {
  absl::MutexLock lock(&mu_);
  FinishLocked(status);
}

void ConfigStreamReactor::OnReadDone(bool ok) {
  absl::MutexLock lock(&mu_);
  if (!ok) {
    // The worker half-closed or the call is gone: end our side too.
    FinishLocked(grpc::Status::OK);
    return;
  }
  ConfigRequest request;
  grpc::ProtoBufferReader reader(&read_buffer_);
  if (!request.ParseFromZeroCopyStream(&reader)) {
    FinishLocked(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "malformed ConfigRequest"));
    return;
  }
  read_buffer_.Clear();
  if (!subscribed_) {
    SubscribeLocked(request);
  } else {
    AnswerLocked(request);
  }
  if (finish_called_ || finish_wanted_.has_value()) return;
  StartRead(&read_buffer_);
  MaybeWriteLocked();
}

void ConfigStreamReactor::SubscribeLocked(const ConfigRequest& request) {
  if (request.node().id().empty()) {
    FinishLocked(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                              "the first ConfigRequest must carry node.id"));
    return;
  }
  subscribed_ = true;
  worker_id_ = request.node().id();
  worker_version_ = request.version_info();
  registry_id_ = registry_.Connect(worker_id_, request.node().address(), worker_version_);
  spdlog::info("config stream opened: worker {} at {} (peer {}), applied version {}", worker_id_,
               request.node().address(), peer_, worker_version_);
}

void ConfigStreamReactor::AnswerLocked(const ConfigRequest& request) {
  const std::string& nonce = request.response_nonce();
  int64_t answered_version = last_sent_version_;
  for (const auto& [sent_nonce, version] : sent_snapshots_) {
    if (sent_nonce == nonce) answered_version = version;
  }
  if (request.has_error_detail()) {
    worker_version_ = request.version_info();
    nacked_versions_.insert(answered_version);
    std::string message = request.error_detail().message();
    if (message.size() > kMaxNackMessage) message.resize(kMaxNackMessage);
    registry_.Nack(registry_id_, worker_version_, answered_version, message);
    spdlog::warn("worker {} rejected config version {} (still on {}): {}", worker_id_,
                 answered_version, worker_version_, message);
    return;
  }
  worker_version_ = request.version_info();
  registry_.Ack(registry_id_, worker_version_);
  spdlog::debug("worker {} applied config version {}", worker_id_, worker_version_);
}

bool ConfigStreamReactor::SnapshotWantedLocked() const {
  if (snapshot_ == nullptr) return false;
  const int64_t version = snapshot_->version;
  return version != worker_version_ && version != last_sent_version_ &&
         !nacked_versions_.contains(version);
}

void ConfigStreamReactor::MaybeWriteLocked() {
  if (!subscribed_ || write_in_flight_ || finish_called_ || finish_wanted_.has_value()) return;
  // Revocations first: they are small, and the snapshot that also carries them costs the worker
  // up to a second to apply. A slow stream skips to the newest list (state of the world).
  if (revocations_ != nullptr && revocations_ != sent_revocations_) {
    sent_revocations_ = revocations_;
    const int64_t config_version = snapshot_ != nullptr ? snapshot_->version : 0;
    write_buffer_ = EncodeConfigResponse(config_version, NextNonceLocked(),
                                         ConfigPayload::kKeyRevocations, revocations_->bytes);
    write_in_flight_ = true;
    StartWrite(&write_buffer_);
    return;
  }
  if (SnapshotWantedLocked()) {
    const std::string nonce = NextNonceLocked();
    last_sent_version_ = snapshot_->version;
    sent_snapshots_.emplace_back(nonce, last_sent_version_);
    if (sent_snapshots_.size() > kRememberedNonces) sent_snapshots_.pop_front();
    write_buffer_ =
        EncodeConfigResponse(last_sent_version_, nonce, ConfigPayload::kSnapshot, snapshot_->bytes);
    // The stream's first snapshot goes first; budget states may follow it.
    budget_allowed_ = true;
    write_in_flight_ = true;
    StartWrite(&write_buffer_);
    return;
  }
  // No snapshot to send while one exists: the worker is current (or refused it), so budget
  // state is useful to it right away.
  if (snapshot_ != nullptr) budget_allowed_ = true;
  if (budget_allowed_ && budget_ != nullptr && budget_ != sent_budget_) {
    sent_budget_ = budget_;
    const int64_t config_version = snapshot_ != nullptr ? snapshot_->version : 0;
    write_buffer_ = EncodeConfigResponse(config_version, NextNonceLocked(),
                                         ConfigPayload::kBudgetState, budget_->bytes);
    write_in_flight_ = true;
    StartWrite(&write_buffer_);
  }
}

void ConfigStreamReactor::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  write_in_flight_ = false;
  write_buffer_.Clear();
  if (finish_wanted_.has_value()) {
    grpc::Status status = *std::move(finish_wanted_);
    finish_wanted_.reset();
    FinishLocked(std::move(status));
    return;
  }
  if (!ok) {
    FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "config stream write failed"));
    return;
  }
  MaybeWriteLocked();
}

void ConfigStreamReactor::FinishLocked(grpc::Status status) {
  if (finish_called_) return;
  if (write_in_flight_) {
    // Finishing with a Write outstanding is not clearly allowed by the callback API, so the
    // Finish waits for OnWriteDone, which a cancelled call delivers promptly.
    if (!finish_wanted_.has_value()) finish_wanted_ = std::move(status);
    return;
  }
  finish_called_ = true;
  Finish(std::move(status));
}

std::string ConfigStreamReactor::NextNonceLocked() { return absl::StrCat(++nonce_counter_); }

void ConfigStreamReactor::OnDone() {
  // After Detach the hub cannot call us; every gRPC reaction has completed before OnDone.
  hub_.Detach(this);
  {
    absl::MutexLock lock(&mu_);
    if (subscribed_) {
      registry_.Disconnect(registry_id_);
      spdlog::info("config stream closed: worker {} (applied version {})", worker_id_,
                   worker_version_);
    }
  }
  delete this;
}

}  // namespace gw::cp
