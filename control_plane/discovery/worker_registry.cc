#include "control_plane/discovery/worker_registry.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace gw::cp {
namespace {

google::protobuf::Timestamp ToProto(absl::Time time) {
  google::protobuf::Timestamp out;
  const int64_t seconds = absl::ToUnixSeconds(time);  // Floors, so nanos is never negative.
  out.set_seconds(seconds);
  out.set_nanos(
      static_cast<int32_t>((time - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
  return out;
}

}  // namespace

WorkerRegistry::StreamId WorkerRegistry::Connect(absl::string_view worker_id,
                                                 absl::string_view address,
                                                 int64_t applied_version) {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  const StreamId id = next_stream_++;
  StreamState state;
  state.worker_id = std::string(worker_id);
  state.address = std::string(address);
  state.connected_since = now;
  state.applied_version = applied_version;
  state.last_seen = now;
  auto& streams = workers_[state.worker_id];
  // A reconnecting worker keeps its NACK history visible until it NACKs or ACKs anew.
  if (!streams.empty()) {
    const StreamState& previous = streams.rbegin()->second;
    state.last_nack_version = previous.last_nack_version;
    state.last_nack_message = previous.last_nack_message;
  }
  stream_owner_[id] = state.worker_id;
  streams.emplace(id, std::move(state));
  return id;
}

WorkerRegistry::StreamState* WorkerRegistry::FindLocked(StreamId stream) {
  const auto owner = stream_owner_.find(stream);
  if (owner == stream_owner_.end()) return nullptr;
  auto& streams = workers_[owner->second];
  const auto it = streams.find(stream);
  return it == streams.end() ? nullptr : &it->second;
}

void WorkerRegistry::Seen(StreamId stream) {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  if (StreamState* state = FindLocked(stream)) state->last_seen = now;
}

void WorkerRegistry::Ack(StreamId stream, int64_t version) {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  if (StreamState* state = FindLocked(stream)) {
    state->applied_version = version;
    state->last_seen = now;
  }
}

void WorkerRegistry::Nack(StreamId stream, int64_t applied_version, int64_t nacked_version,
                          absl::string_view message) {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  if (StreamState* state = FindLocked(stream)) {
    state->applied_version = applied_version;
    state->last_nack_version = nacked_version;
    state->last_nack_message = std::string(message);
    state->last_seen = now;
  }
}

void WorkerRegistry::Disconnect(StreamId stream) {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  const auto owner = stream_owner_.find(stream);
  if (owner == stream_owner_.end()) return;
  auto& streams = workers_[owner->second];
  stream_owner_.erase(owner);
  const auto it = streams.find(stream);
  if (it == streams.end()) return;
  it->second.connected = false;
  it->second.last_seen = now;
  // Only the newest disconnected stream of a worker is worth showing; older ones would grow the
  // map with every reconnect.
  for (auto old = streams.begin(); old != streams.end();) {
    const bool newest = std::next(old) == streams.end();
    if (!old->second.connected && !newest) {
      stream_owner_.erase(old->first);
      old = streams.erase(old);
    } else {
      ++old;
    }
  }
}

std::vector<gateway::admin::v1::WorkerStatus> WorkerRegistry::Workers() const {
  const absl::Time now = absl::Now();
  std::vector<gateway::admin::v1::WorkerStatus> out;
  absl::MutexLock lock(&mu_);
  out.reserve(workers_.size());
  for (const auto& [worker_id, streams] : workers_) {
    if (streams.empty()) continue;
    const StreamState* shown = &streams.rbegin()->second;
    for (auto it = streams.rbegin(); it != streams.rend(); ++it) {
      if (it->second.connected) {
        shown = &it->second;
        break;
      }
    }
    gateway::admin::v1::WorkerStatus& status = out.emplace_back();
    status.set_worker_id(worker_id);
    status.set_address(shown->address);
    status.set_connected(shown->connected);
    *status.mutable_connected_since() = ToProto(shown->connected_since);
    status.set_applied_version(shown->applied_version);
    status.set_last_nack_version(shown->last_nack_version);
    status.set_last_nack_message(shown->last_nack_message);
    *status.mutable_last_seen() = ToProto(shown->connected ? now : shown->last_seen);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.worker_id() < b.worker_id(); });
  return out;
}

}  // namespace gw::cp
