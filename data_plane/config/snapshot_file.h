// The last good snapshot on disk, exactly the bytes the control plane sent, framed with a magic,
// a length and a SHA-256 so that a torn or corrupted file is recognised instead of half-parsed
// (a truncated protobuf can still parse as a smaller, valid message).
//   GW_RETURN_IF_ERROR(PersistSnapshot(state_dir, serialized));
//   absl::StatusOr<std::string> bytes = LoadPersistedSnapshot(state_dir);
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gw::dp {

inline constexpr absl::string_view kSnapshotFileName = "snapshot.bin";

absl::Status PersistSnapshot(const std::string& state_dir, absl::string_view serialized_snapshot);

// The serialized gateway.config.v1.Snapshot; NOT_FOUND when none was persisted, DATA_LOSS when
// the file is truncated or corrupt.
absl::StatusOr<std::string> LoadPersistedSnapshot(const std::string& state_dir);

}  // namespace gw::dp
