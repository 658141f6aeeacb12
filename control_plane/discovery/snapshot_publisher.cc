#include "control_plane/discovery/snapshot_publisher.h"

#include <utility>

#include "spdlog/spdlog.h"

namespace gw::cp {

SnapshotPublisher::SnapshotPublisher(absl::Duration debounce, Listener listener)
    : debounce_(debounce), listener_(std::move(listener)), thread_([this] { Run(); }) {}

SnapshotPublisher::~SnapshotPublisher() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void SnapshotPublisher::Publish(std::shared_ptr<const gateway::config::v1::Snapshot> snapshot) {
  if (snapshot == nullptr) return;
  absl::MutexLock lock(&mu_);
  const int64_t newest = pending_ != nullptr  ? pending_->version()
                         : latest_ != nullptr ? latest_->version
                                              : 0;
  if (snapshot->version() <= newest) return;
  if (pending_ == nullptr) pending_since_ = absl::Now();
  pending_ = std::move(snapshot);
}

std::shared_ptr<const PublishedSnapshot> SnapshotPublisher::Latest() const {
  absl::MutexLock lock(&mu_);
  return latest_;
}

int64_t SnapshotPublisher::serializations() const {
  absl::MutexLock lock(&mu_);
  return serializations_;
}

bool SnapshotPublisher::HasWorkOrStopping() const { return stopping_ || pending_ != nullptr; }

void SnapshotPublisher::Run() {
  absl::MutexLock lock(&mu_);
  while (true) {
    mu_.Await(absl::Condition(this, &SnapshotPublisher::HasWorkOrStopping));
    if (stopping_) return;
    // The window starts at the burst's first Publish, so a steady stream of writes cannot
    // postpone delivery indefinitely.
    mu_.AwaitWithDeadline(absl::Condition(&stopping_), pending_since_ + debounce_);
    if (stopping_) return;
    std::shared_ptr<const gateway::config::v1::Snapshot> snapshot = std::move(pending_);
    pending_ = nullptr;

    mu_.Unlock();
    auto published = std::make_shared<PublishedSnapshot>();
    published->version = snapshot->version();
    auto bytes = std::make_shared<std::string>();
    const absl::Time start = absl::Now();
    const bool serialized = snapshot->SerializeToString(bytes.get());
    const absl::Duration took = absl::Now() - start;
    published->bytes = std::move(bytes);
    mu_.Lock();

    if (!serialized) {
      // Only a snapshot over protobuf's 2 GiB limit fails; workers keep the previous version.
      spdlog::error("config version {} could not be serialised ({} keys); not published",
                    snapshot->version(), snapshot->keys_size());
      continue;
    }
    ++serializations_;
    latest_ = published;
    spdlog::debug("config version {} serialised: {} bytes in {} us", published->version,
                  published->bytes->size(), absl::ToInt64Microseconds(took));

    // Called without the lock so that the listener may call Latest(); versions stay in order
    // because only this thread calls it.
    mu_.Unlock();
    listener_(std::move(published));
    mu_.Lock();
  }
}

}  // namespace gw::cp
