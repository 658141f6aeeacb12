// Bearer-token authentication of control-plane callers. Admins and workers hold different tokens,
// and neither token opens the other's services.
//   if (grpc::Status s = auth.Check(*context, Role::kAdmin); !s.ok()) return s;
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/server_context.h"

namespace gw::cp {

enum class Role { kAdmin, kWorker };

class TokenAuth {
 public:
  // Both tokens must be non-empty and different (checked by LoadTokens).
  TokenAuth(std::string admin_token, std::string worker_token);

  // OK when the call's `authorization: Bearer <token>` metadata carries the token of `role`,
  // compared in constant time; UNAUTHENTICATED otherwise. The token is never echoed.
  grpc::Status Check(const grpc::ServerContextBase& context, Role role) const;

 private:
  std::string admin_token_;
  std::string worker_token_;
};

// Reads a token from `file` when it is non-empty, else from the environment variable `env_var`.
// Trailing newlines are trimmed. INVALID_ARGUMENT when neither yields a token of at least 16
// characters.
absl::StatusOr<std::string> LoadToken(const std::string& file, absl::string_view env_var);

}  // namespace gw::cp
