// The token this worker presents to the control plane (`authorization: Bearer`): read from
// --worker-token-file when given, else from GW_WORKER_TOKEN. Never logged.
//   GW_ASSIGN_OR_RETURN(std::string token, LoadWorkerToken(flags.token_file));
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace gw::dp {

inline constexpr char kWorkerTokenEnv[] = "GW_WORKER_TOKEN";

// Surrounding whitespace is trimmed. INVALID_ARGUMENT when the file is unreadable or no token is
// found.
absl::StatusOr<std::string> LoadWorkerToken(const std::string& token_file);

}  // namespace gw::dp
