// Turns config snapshots into the bytes workers receive: debounces bursts of versions, then
// serialises the newest one once and hands it to a listener that fans it out to every stream.
//   SnapshotPublisher publisher(absl::Milliseconds(30), [&](auto published) { Fan(published); });
//   store->AddVersionListener([&](int64_t) { publisher.Publish(store->Current()); });
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gateway/config/v1/config.pb.h"

namespace gw::cp {

// One config version as it goes on the wire, shared (never copied) by every stream.
struct PublishedSnapshot {
  int64_t version = 0;
  std::shared_ptr<const std::string> bytes;  // A serialized gateway.config.v1.Snapshot.
};

// Thread-safe. Owns one thread that serialises snapshots and calls the listener.
class SnapshotPublisher {
 public:
  using Listener = std::function<void(std::shared_ptr<const PublishedSnapshot>)>;

  // `debounce` is how long the first Publish of a burst waits for later ones: a burst of writes
  // costs one serialisation, and no version waits longer than `debounce` plus one serialisation.
  // `listener` runs on the publisher's thread, once per serialised version, in version order.
  SnapshotPublisher(absl::Duration debounce, Listener listener);
  // Stops the thread; a version still waiting in the debounce window is dropped.
  ~SnapshotPublisher();

  SnapshotPublisher(const SnapshotPublisher&) = delete;
  SnapshotPublisher& operator=(const SnapshotPublisher&) = delete;

  // Records `snapshot` as the newest; cheap, so that the store may call it on its writing thread.
  // Versions not newer than the last one published are ignored.
  void Publish(std::shared_ptr<const gateway::config::v1::Snapshot> snapshot);

  // The newest serialised version, or null before the first.
  std::shared_ptr<const PublishedSnapshot> Latest() const;

  // How many snapshots were serialised so far (one per published version).
  int64_t serializations() const;

 private:
  void Run();
  bool HasWorkOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const absl::Duration debounce_;
  const Listener listener_;

  mutable absl::Mutex mu_;
  std::shared_ptr<const gateway::config::v1::Snapshot> pending_ ABSL_GUARDED_BY(mu_);
  absl::Time pending_since_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const PublishedSnapshot> latest_ ABSL_GUARDED_BY(mu_);
  int64_t serializations_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  std::thread thread_;  // Last: starts after every member above is initialised.
};

}  // namespace gw::cp
