// SHA-256 of a presented gateway key on the request path, into a stack buffer. Same bytes as
// gw::Sha256 (which the control plane uses to store keys), at a fraction of the cost: OpenSSL
// 3's one-shot SHA256() fetches the algorithm from its provider on every call (locks and a
// hash-table lookup, about 6,000 instructions for a short key).
//   KeyDigest digest = DigestApiKey(key);
//   snapshot->FindKeyByDigest(digest.view());
#pragma once

#include <array>

#include "absl/strings/string_view.h"

namespace gw::dp {

struct KeyDigest {
  std::array<char, 32> bytes;
  absl::string_view view() const { return absl::string_view(bytes.data(), bytes.size()); }
};

KeyDigest DigestApiKey(absl::string_view key);

}  // namespace gw::dp
