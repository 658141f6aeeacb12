#include "data_plane/config/worker_token.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "data_plane/config/state_dir.h"

namespace gw::dp {

absl::StatusOr<std::string> LoadWorkerToken(const std::string& token_file) {
  std::string token;
  if (!token_file.empty()) {
    absl::StatusOr<std::string> contents = ReadWholeFile(token_file);
    if (!contents.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read --worker-token-file: ", contents.status().message()));
    }
    token = std::move(*contents);
  } else if (const char* value = std::getenv(kWorkerTokenEnv); value != nullptr) {
    token = value;
  }
  absl::StripAsciiWhitespace(&token);
  if (token.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no worker token: pass --worker-token-file or set ", kWorkerTokenEnv));
  }
  return token;
}

}  // namespace gw::dp
