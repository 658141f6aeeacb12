// The Provider of every configured provider, compiled once per snapshot with the credential this
// worker resolves from the provider's reference (CONTRACTS.md: a worker that cannot resolve one
// still serves the others and answers 502 for that provider). Requests hold the set they got, so
// a snapshot swap never pulls a provider from under a call in flight.
//   std::shared_ptr<const ProviderSet> set = cache.For(ctx.snapshot);
//   const ProviderEntry* entry = set->Find(ctx.model->provider());
//   if (!entry->provider) -> 502 entry->unavailable
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "data_plane/config/snapshot.h"
#include "data_plane/providers/provider.h"
#include "data_plane/upstream/upstream_timeouts.h"

namespace gw::dp {

// The message clients get when this worker cannot resolve a provider's credential.
inline constexpr absl::string_view kCredentialUnavailableMessage =
    "provider credential unavailable on this worker";

struct ProviderEntry {
  std::unique_ptr<const Provider> provider;  // nullptr when unavailable.
  bool credential_missing = false;           // Why it is unavailable (else: unsupported type).
  absl::Status unavailable;                  // For the log; never carries the credential.
};

class ProviderSet {
 public:
  // Compiles every provider of `snapshot`; logs (once) each provider it cannot make.
  static std::shared_ptr<const ProviderSet> Build(const Snapshot& snapshot,
                                                  const UpstreamTimeouts& timeouts);
  // nullptr for a provider the snapshot does not have.
  const ProviderEntry* Find(absl::string_view name) const;
  int64_t version() const { return version_; }

 private:
  int64_t version_ = 0;
  absl::flat_hash_map<std::string, ProviderEntry> entries_;
};

class ProviderCache {
 public:
  explicit ProviderCache(UpstreamTimeouts timeouts) : timeouts_(timeouts) {}

  // The set for `snapshot`'s version: built by the first request that needs it, then shared.
  // Each thread remembers the last set it used, so the lock is taken once per thread and
  // version.
  std::shared_ptr<const ProviderSet> For(const Snapshot& snapshot) const;

 private:
  UpstreamTimeouts timeouts_;
  mutable std::mutex mutex_;
  mutable std::shared_ptr<const ProviderSet> current_;
};

}  // namespace gw::dp
