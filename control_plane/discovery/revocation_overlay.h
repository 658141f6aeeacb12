// The recent key revocations the control plane sends to workers ahead of the snapshot that
// reflects them, as one small state-of-the-world KeyRevocations message, bounded by count and age.
//   RevocationOverlay overlay;  overlay.Add(revoked_keys);  KeyRevocations m = overlay.Current();
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gateway/config/v1/config.pb.h"

namespace gw::cp {

// Not thread-safe: the discovery service serialises calls.
class RevocationOverlay {
 public:
  // A worker needs an entry only until it applies the snapshot of that version, about a second
  // at 100,000 keys; the bounds keep the message small with a wide margin for slow workers.
  static constexpr size_t kDefaultMaxEntries = 10'000;
  static constexpr absl::Duration kDefaultMaxAge = absl::Minutes(10);

  explicit RevocationOverlay(size_t max_entries = kDefaultMaxEntries,
                             absl::Duration max_age = kDefaultMaxAge)
      : max_entries_(max_entries), max_age_(max_age) {}

  // Records keys revoked at `now` (each names the config version that revoked it), drops entries
  // past the bounds, and raises the sequence (to at least `now` in unix microseconds).
  void Add(const std::vector<gateway::config::v1::RevokedKey>& keys, absl::Time now = absl::Now());

  // The current state as a KeyRevocations message.
  gateway::config::v1::KeyRevocations Current() const;

  int64_t sequence() const { return sequence_; }

 private:
  struct Entry {
    gateway::config::v1::RevokedKey key;
    absl::Time added_at;
  };

  const size_t max_entries_;
  const absl::Duration max_age_;
  std::deque<Entry> entries_;  // Oldest first.
  int64_t sequence_ = 0;
};

}  // namespace gw::cp
