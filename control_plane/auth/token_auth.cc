#include "control_plane/auth/token_auth.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/api_key.h"

namespace gw::cp {

TokenAuth::TokenAuth(std::string admin_token, std::string worker_token)
    : admin_token_(std::move(admin_token)), worker_token_(std::move(worker_token)) {}

grpc::Status TokenAuth::Check(const grpc::ServerContextBase& context, Role role) const {
  const auto& metadata = context.client_metadata();
  const auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "missing authorization metadata (expected: Bearer <token>)");
  }
  const absl::string_view value(it->second.data(), it->second.size());
  constexpr absl::string_view kBearer = "Bearer ";
  const absl::string_view presented =
      absl::StartsWith(value, kBearer) ? value.substr(kBearer.size()) : absl::string_view();
  const std::string& expected = role == Role::kAdmin ? admin_token_ : worker_token_;
  if (presented.empty() || !ConstantTimeEquals(presented, expected)) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        role == Role::kAdmin ? "invalid admin token" : "invalid worker token");
  }
  return grpc::Status::OK;
}

absl::StatusOr<std::string> LoadToken(const std::string& file, absl::string_view env_var) {
  std::string token;
  if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read token file ", file));
    std::ostringstream contents;
    contents << in.rdbuf();
    token = contents.str();
  } else if (const char* value = std::getenv(std::string(env_var).c_str()); value != nullptr) {
    token = value;
  }
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
    token.pop_back();
  }
  if (token.size() < 16) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no usable token: pass a token file or set ", env_var, " (at least 16 characters)"));
  }
  return token;
}

}  // namespace gw::cp
