// Provider credential references: `env:NAME` (a worker environment variable) or `file:PATH`
// (a file on the worker). The control plane checks only their syntax; each worker resolves them.
#pragma once

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace gw {

struct CredentialRef {
  enum class Kind { kNone, kEnv, kFile };
  Kind kind = Kind::kNone;
  std::string target;  // Variable name or file path.
};

// "" parses as kNone (providers that need no credential, such as a local server).
absl::StatusOr<CredentialRef> ParseCredentialRef(absl::string_view ref);

// Reads the secret a reference names, with trailing newlines trimmed. The secret is never put
// into the returned error message.
absl::StatusOr<std::string> ResolveCredential(const CredentialRef& ref);

}  // namespace gw
