// What the control plane knows about each data-plane worker's config stream, for `gwctl status`:
// address, connection, applied version, last NACK and when the worker was last seen.
//   uint64_t stream = registry.Connect("worker-1", "10.0.0.5:8080", 0);
//   registry.Ack(stream, 7);  ...  registry.Disconnect(stream);
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gateway/admin/v1/admin.pb.h"

namespace gw::cp {

// Thread-safe. A worker may hold several streams at once (a reconnect racing the old stream's
// teardown, or two processes sharing an id): every stream is tracked, and status shows the
// newest connected one, else the newest one. Disconnected workers stay listed.
class WorkerRegistry {
 public:
  using StreamId = uint64_t;

  // Records a new stream of `worker_id`, subscribed with `applied_version` (0: none).
  StreamId Connect(absl::string_view worker_id, absl::string_view address, int64_t applied_version);
  // Any request from the worker on `stream`.
  void Seen(StreamId stream);
  // The worker applied `version` (an ACK).
  void Ack(StreamId stream, int64_t version);
  // The worker rejected `nacked_version` with `message` and still runs `applied_version`.
  void Nack(StreamId stream, int64_t applied_version, int64_t nacked_version,
            absl::string_view message);
  // The stream ended; the worker stays listed with connected=false.
  void Disconnect(StreamId stream);

  // One entry per worker id, sorted by id. A connected worker's last_seen is the time of the
  // call: its stream is alive, and the server's keepalive pings (see server_options.h) end a
  // stream whose peer stops answering within seconds.
  std::vector<gateway::admin::v1::WorkerStatus> Workers() const;

 private:
  struct StreamState {
    std::string worker_id;
    std::string address;
    bool connected = true;
    absl::Time connected_since;
    int64_t applied_version = 0;
    int64_t last_nack_version = 0;
    std::string last_nack_message;
    absl::Time last_seen;
  };

  StreamState* FindLocked(StreamId stream) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  StreamId next_stream_ ABSL_GUARDED_BY(mu_) = 1;
  // worker id -> its streams, oldest first.
  absl::flat_hash_map<std::string, std::map<StreamId, StreamState>> workers_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<StreamId, std::string> stream_owner_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gw::cp
