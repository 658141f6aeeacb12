// Reads a whole input file for gwctl (`apply -f`, `pricing import`); "-" means stdin.
//   GW_ASSIGN_OR_RETURN(std::string text, ReadInputFile("gateway.yaml"));
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gw::cli {

// NOT_FOUND / PERMISSION_DENIED style errors name the path and the OS reason.
absl::StatusOr<std::string> ReadInputFile(absl::string_view path);

}  // namespace gw::cli
