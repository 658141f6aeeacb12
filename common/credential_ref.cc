#include "common/credential_ref.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace gw {
namespace {

bool IsEnvName(absl::string_view name) {
  if (name.empty() || name.size() > 128 || absl::ascii_isdigit(name.front())) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '_') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<CredentialRef> ParseCredentialRef(absl::string_view ref) {
  if (ref.empty()) return CredentialRef{};
  if (absl::StartsWith(ref, "env:") && IsEnvName(ref.substr(4))) {
    return CredentialRef{CredentialRef::Kind::kEnv, std::string(ref.substr(4))};
  }
  if (absl::StartsWith(ref, "file:") && ref.size() > 5 && ref.size() < 4096 &&
      ref.find('\0') == absl::string_view::npos) {
    return CredentialRef{CredentialRef::Kind::kFile, std::string(ref.substr(5))};
  }
  // The reference is echoed only by its scheme: a pasted secret must not reach an error message.
  return absl::InvalidArgumentError(
      "malformed credential reference: expected env:VARIABLE_NAME or file:/path/to/secret "
      "(the secret itself never goes into the configuration)");
}

absl::StatusOr<std::string> ResolveCredential(const CredentialRef& ref) {
  std::string secret;
  switch (ref.kind) {
    case CredentialRef::Kind::kNone:
      return std::string();
    case CredentialRef::Kind::kEnv: {
      const char* value = std::getenv(ref.target.c_str());
      if (value == nullptr || *value == '\0') {
        return absl::NotFoundError(absl::StrCat("environment variable ", ref.target, " is not set"));
      }
      secret = value;
      break;
    }
    case CredentialRef::Kind::kFile: {
      std::ifstream in(ref.target, std::ios::binary);
      if (!in) return absl::NotFoundError(absl::StrCat("cannot read credential file ", ref.target));
      std::ostringstream contents;
      contents << in.rdbuf();
      secret = contents.str();
      break;
    }
  }
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) return absl::NotFoundError("credential is empty");
  return secret;
}

}  // namespace gw
