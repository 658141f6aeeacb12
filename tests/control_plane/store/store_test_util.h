// Helpers for the store's tests: a fresh database path per test in a private temp directory,
// removed afterwards, and a status matcher (Debian's abseil ships none).
//   gw::testing::TempDbDir dir;  auto db = gw::cp::Database::Open(dir.Path("a.db"));
#pragma once

#include <gmock/gmock.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gw::testing {

class TempDbDir {
 public:
  TempDbDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "gw-store-test-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
  }
  ~TempDbDir() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  TempDbDir(const TempDbDir&) = delete;
  TempDbDir& operator=(const TempDbDir&) = delete;

  std::string Path(const std::string& file) const { return dir_ + "/" + file; }

 private:
  std::string dir_;
};

// The file's bytes, or "" when it does not exist.
inline std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& status = GetStatus(arg);
  *result_listener << status;
  return status.ok();
}

MATCHER_P(StatusIs, code, "has status code " + absl::StatusCodeToString(code)) {
  const absl::Status& status = GetStatus(arg);
  *result_listener << status;
  return status.code() == code;
}

}  // namespace gw::testing
