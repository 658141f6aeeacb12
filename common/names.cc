#include "common/names.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace gw {

bool IsValidName(absl::string_view name) {
  if (name.empty() || name.size() > 64 || !absl::ascii_isalnum(name.front())) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

absl::Status ValidateName(absl::string_view kind, absl::string_view name) {
  if (IsValidName(name)) return absl::OkStatus();
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(kind, " name is required"));
  return absl::InvalidArgumentError(
      absl::StrCat("invalid ", kind, " name '", name.substr(0, 80),
                   "': use 1-64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit"));
}

}  // namespace gw
