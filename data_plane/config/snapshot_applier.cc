#include "data_plane/config/snapshot_applier.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/config_validator.h"
#include "common/status_macros.h"
#include "data_plane/config/snapshot_file.h"
#include "spdlog/spdlog.h"

namespace gw::dp {

SnapshotApplier::SnapshotApplier(SnapshotStore* store, std::string state_dir, int32_t feature_level)
    : store_(store), state_dir_(std::move(state_dir)), feature_level_(feature_level) {}

absl::StatusOr<int64_t> SnapshotApplier::Apply(absl::string_view serialized_snapshot) {
  const absl::Time start = absl::Now();
  GW_ASSIGN_OR_RETURN(Snapshot::ParsedOnArena parsed,
                      Snapshot::ParsedOnArena::Parse(serialized_snapshot));
  GW_RETURN_IF_ERROR(ValidateSnapshot(parsed.proto(), feature_level_));
  GW_ASSIGN_OR_RETURN(std::shared_ptr<const Snapshot> snapshot,
                      Snapshot::Compile(std::move(parsed)));
  const int64_t version = snapshot->version();
  const size_t keys = snapshot->key_count();
  store_->Publish(std::move(snapshot));
  spdlog::info("applied config version {} ({} keys, {} bytes) in {:.3f} ms", version, keys,
               serialized_snapshot.size(), absl::ToDoubleMilliseconds(absl::Now() - start));
  return version;
}

absl::Status SnapshotApplier::Persist(absl::string_view serialized_snapshot) {
  if (state_dir_.empty()) return absl::OkStatus();
  return PersistSnapshot(state_dir_, serialized_snapshot);
}

int64_t SnapshotApplier::RestorePersisted() {
  if (state_dir_.empty()) return 0;
  absl::StatusOr<std::string> bytes = LoadPersistedSnapshot(state_dir_);
  if (!bytes.ok()) {
    if (!absl::IsNotFound(bytes.status())) {
      spdlog::warn("ignoring the persisted snapshot: {}", bytes.status().ToString());
    }
    return 0;
  }
  absl::StatusOr<int64_t> version = Apply(*bytes);
  if (!version.ok()) {
    spdlog::warn("ignoring the persisted snapshot: {}", version.status().ToString());
    return 0;
  }
  spdlog::info("serving persisted config version {} until the control plane answers", *version);
  return *version;
}

}  // namespace gw::dp
