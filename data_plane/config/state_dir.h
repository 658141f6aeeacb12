// Durable files in the worker's state directory. A write lands completely or not at all: the
// bytes go to a temp file, which is fsynced, renamed over the target, and the directory fsynced.
//   GW_RETURN_IF_ERROR(EnsureDirectory("var/worker-1"));
//   GW_RETURN_IF_ERROR(WriteFileAtomically("var/worker-1", "worker_id", id));
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gw::dp {

// Creates `dir` and its parents when missing.
absl::Status EnsureDirectory(const std::string& dir);

absl::Status WriteFileAtomically(const std::string& dir, absl::string_view name,
                                 absl::string_view contents);

// NOT_FOUND when the file does not exist.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

// The id under which this worker subscribes: `worker_id` in `state_dir`, generated once
// ("wrk_...") and persisted, so that a restarted worker keeps its identity.
absl::StatusOr<std::string> LoadOrCreateWorkerId(const std::string& state_dir);

}  // namespace gw::dp
