// Where the project's binaries are for integration tests: $GW_BIN_DIR when set, else the bin/
// directory of the build tree the test was built in.
//   Process::Start({BinaryPath("gw-control-plane"), "--listen", "127.0.0.1:0", ...});
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace gw::testing {

// BinaryPath("gwctl") == "<build>/bin/gwctl". Does not check that the file exists.
std::string BinaryPath(absl::string_view name);

}  // namespace gw::testing
