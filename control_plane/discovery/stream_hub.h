// The set of open config streams and the newest payloads they should carry: every snapshot
// version, budget state and key revocation list is handed to each stream, which writes it when it
// is idle.
//   hub.PublishSnapshot(published);  // from the SnapshotPublisher's thread
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "control_plane/discovery/snapshot_publisher.h"
#include "grpcpp/support/status.h"

namespace gw::cp {

class ConfigStreamReactor;

// One budget state as it goes on the wire, shared by every stream.
struct PublishedBudgetState {
  int64_t sequence = 0;
  std::shared_ptr<const std::string> bytes;  // A serialized gateway.config.v1.BudgetState.
};

// Thread-safe. Lock order: the hub's lock, then a stream's lock; streams never call the hub
// while holding their own lock.
// One KeyRevocations message as it goes on the wire, shared by every stream.
struct PublishedRevocations {
  int64_t sequence = 0;
  std::shared_ptr<const std::string> bytes;  // A serialized gateway.config.v1.KeyRevocations.
};

class StreamHub {
 public:
  // Registers `stream` and offers it the newest snapshot, budget state and revocations. False once
  // closed.
  bool Attach(ConfigStreamReactor* stream);
  // Unregisters `stream`; after it returns the hub never touches `stream` again.
  void Detach(ConfigStreamReactor* stream);

  void PublishSnapshot(std::shared_ptr<const PublishedSnapshot> snapshot);
  // States older than the newest one held are ignored.
  void PublishBudgetState(std::shared_ptr<const PublishedBudgetState> state);
  // Offered to every stream at once, on the caller's thread. Older sequences are ignored.
  void PublishRevocations(std::shared_ptr<const PublishedRevocations> revocations);

  // Finishes every open stream with `status` and makes later Attach calls fail.
  void CloseAll(const grpc::Status& status);

  size_t open_streams() const;

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_set<ConfigStreamReactor*> streams_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const PublishedSnapshot> snapshot_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const PublishedBudgetState> budget_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const PublishedRevocations> revocations_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace gw::cp
