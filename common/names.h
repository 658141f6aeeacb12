// Validation of resource names (teams, providers, models, routes) per CONTRACTS.md:
// 1-64 characters of [A-Za-z0-9._-], starting with a letter or digit, case-sensitive.
#pragma once

#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace gw {

// Returns INVALID_ARGUMENT naming `kind` ("team", "model", ...) when `name` is not valid.
absl::Status ValidateName(absl::string_view kind, absl::string_view name);

bool IsValidName(absl::string_view name);

}  // namespace gw
