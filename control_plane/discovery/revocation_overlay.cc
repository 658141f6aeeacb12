#include "control_plane/discovery/revocation_overlay.h"

#include <algorithm>

namespace gw::cp {

void RevocationOverlay::Add(const std::vector<gateway::config::v1::RevokedKey>& keys,
                            absl::Time now) {
  for (const gateway::config::v1::RevokedKey& key : keys) entries_.push_back({key, now});
  while (entries_.size() > max_entries_ ||
         (!entries_.empty() && now - entries_.front().added_at > max_age_)) {
    entries_.pop_front();
  }
  // Microseconds since the epoch, so that a restarted control plane's lists are still newer than
  // the ones a worker holds from before the restart.
  sequence_ = std::max(sequence_ + 1, absl::ToUnixMicros(now));
}

gateway::config::v1::KeyRevocations RevocationOverlay::Current() const {
  gateway::config::v1::KeyRevocations message;
  message.set_sequence(sequence_);
  message.mutable_keys()->Reserve(static_cast<int>(entries_.size()));
  for (const Entry& entry : entries_) *message.add_keys() = entry.key;
  return message;
}

}  // namespace gw::cp
