// Gateway API keys and ids: CSPRNG generation, SHA-256 digests, constant-time comparison.
// Keys are stored and looked up only by digest; the plaintext exists once, in the create reply.
#pragma once

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace gw {

inline constexpr absl::string_view kApiKeyPrefix = "gwk-";
inline constexpr size_t kDisplayPrefixLength = 12;

struct GeneratedKey {
  std::string plaintext;  // "gwk-" + 43 base62 characters (256 bits of entropy).
  std::string prefix;     // The first 12 characters of the plaintext.
  std::string sha256;     // 32 raw bytes.
};

absl::StatusOr<GeneratedKey> GenerateApiKey();

// A random identifier such as "key_3fz8q1x0c7mbd2ka" (16 base32 characters after `prefix`).
absl::StatusOr<std::string> GenerateId(absl::string_view prefix);

// 32 raw bytes.
std::string Sha256(absl::string_view data);

std::string HexEncode(absl::string_view bytes);

// Compares in time that depends only on the lengths.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace gw
