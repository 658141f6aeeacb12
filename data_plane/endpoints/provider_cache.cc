#include "data_plane/endpoints/provider_cache.h"

#include <utility>

#include "common/credential_ref.h"
#include "data_plane/providers/provider_registry.h"
#include "spdlog/spdlog.h"

namespace gw::dp {

std::shared_ptr<const ProviderSet> ProviderSet::Build(const Snapshot& snapshot,
                                                      const UpstreamTimeouts& timeouts) {
  auto set = std::make_shared<ProviderSet>();
  set->version_ = snapshot.version();
  for (const gateway::config::v1::Provider& config : snapshot.proto().config().providers()) {
    ProviderEntry entry;
    absl::StatusOr<std::string> credential;
    absl::StatusOr<CredentialRef> ref = ParseCredentialRef(config.credential_ref());
    credential = ref.ok() ? ResolveCredential(*ref) : absl::StatusOr<std::string>(ref.status());
    if (!credential.ok()) {
      entry.credential_missing = true;
      entry.unavailable = credential.status();
    } else {
      absl::StatusOr<std::unique_ptr<const Provider>> provider =
          MakeProvider(config, *credential, timeouts);
      if (provider.ok()) {
        entry.provider = *std::move(provider);
      } else {
        entry.unavailable = provider.status();
      }
    }
    if (!entry.unavailable.ok()) {
      const std::string why = entry.unavailable.ToString();
      spdlog::warn("config version {}: provider {} unavailable on this worker: {}",
                   snapshot.version(), config.name(), why);
    }
    set->entries_.insert_or_assign(config.name(), std::move(entry));
  }
  return set;
}

const ProviderEntry* ProviderSet::Find(absl::string_view name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

std::shared_ptr<const ProviderSet> ProviderCache::For(const Snapshot& snapshot) const {
  struct ThreadMemo {
    const ProviderCache* cache = nullptr;
    std::shared_ptr<const ProviderSet> set;
  };
  static thread_local ThreadMemo memo;
  if (memo.cache == this && memo.set != nullptr && memo.set->version() == snapshot.version()) {
    return memo.set;
  }
  std::shared_ptr<const ProviderSet> set;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (current_ == nullptr || current_->version() != snapshot.version()) {
      current_ = ProviderSet::Build(snapshot, timeouts_);
    }
    set = current_;
  }
  memo.cache = this;
  memo.set = set;
  return set;
}

}  // namespace gw::dp
