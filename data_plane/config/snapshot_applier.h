// Turns snapshot bytes from the control plane (or the state dir) into the snapshot in force:
// parse, validate with the control plane's own validator at this worker's feature level, index,
// publish. A snapshot that fails any step changes nothing; the previous one stays in force.
//   SnapshotApplier applier(&store, state_dir);
//   absl::StatusOr<int64_t> v = applier.Apply(bytes);   // then ACK, then:
//   applier.Persist(bytes);
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/feature_level.h"
#include "data_plane/config/snapshot_store.h"

namespace gw::dp {

class SnapshotApplier {
 public:
  // `state_dir` empty: nothing is persisted or restored.
  SnapshotApplier(SnapshotStore* store, std::string state_dir,
                  int32_t feature_level = kWorkerFeatureLevel);

  // The applied version. INVALID_ARGUMENT (unparsable or invalid) or FAILED_PRECONDITION
  // (requires a newer feature level) otherwise, with a message fit for a NACK.
  absl::StatusOr<int64_t> Apply(absl::string_view serialized_snapshot);

  // Writes the bytes durably as the last good snapshot.
  absl::Status Persist(absl::string_view serialized_snapshot);

  // Applies the persisted snapshot, if there is a usable one. A missing file is silent; a corrupt
  // or invalid one is logged and ignored. Returns the version applied, 0 for none.
  int64_t RestorePersisted();

  SnapshotStore& store() { return *store_; }

 private:
  SnapshotStore* store_;
  std::string state_dir_;
  int32_t feature_level_;
};

}  // namespace gw::dp
