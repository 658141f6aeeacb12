#include "tests/integration/harness/binaries.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"

#ifndef GW_BIN_DIR
#error "GW_BIN_DIR must name the build tree's bin/ directory"
#endif

namespace gw::testing {

std::string BinaryPath(absl::string_view name) {
  const char* override_dir = std::getenv("GW_BIN_DIR");
  const char* dir = override_dir != nullptr && *override_dir != '\0' ? override_dir : GW_BIN_DIR;
  return absl::StrCat(dir, "/", name);
}

}  // namespace gw::testing
