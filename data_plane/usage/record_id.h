// Usage record ids, unique across workers and restarts: "<worker_id>-<boot nonce>-<counter>".
// The nonce is 64 random bits drawn once per process, so a restarted worker never repeats an id.
//   RecordIdGenerator ids("worker-1");  ids.Next(record.mutable_record_id());
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace gw::dp {

class RecordIdGenerator {
 public:
  // The control plane refuses ids over 128 characters; the worker id is cut to 64 so that the id
  // (64 + 1 + 16 + 1 + up to 20 digits) always fits.
  explicit RecordIdGenerator(absl::string_view worker_id);

  // Thread-safe and lock-free: request threads call it concurrently.
  std::string Next();
  // The same, written over `id` (which keeps its capacity).
  void Next(std::string* id);

  const std::string& boot_nonce() const { return boot_nonce_; }

 private:
  std::string prefix_;
  std::string boot_nonce_;
  std::atomic<uint64_t> counter_{0};
};

}  // namespace gw::dp
