// x-request-id per CONTRACTS.md: a client's id is kept when it is 1-128 characters of
// [A-Za-z0-9._-]; otherwise the worker makes one. Generation is per thread and lock-free; the ids
// correlate logs, they are not secrets (usage record ids are generated elsewhere).
//   RequestIdGenerator ids;   // one per thread
//   absl::string_view id = IsValidRequestId(h) ? h : ids.Next(buffer);
#pragma once

#include <array>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace gw::dp {

inline constexpr size_t kMaxRequestIdLength = 128;

bool IsValidRequestId(absl::string_view id);

class RequestIdGenerator {
 public:
  // "req_" + 24 lowercase hex digits.
  static constexpr size_t kLength = 28;
  using Buffer = std::array<char, kLength>;

  RequestIdGenerator();

  // Writes the next id into `buffer` and returns a view of it.
  absl::string_view Next(Buffer& buffer);

 private:
  uint64_t NextRandom();

  uint64_t state_;
};

}  // namespace gw::dp
