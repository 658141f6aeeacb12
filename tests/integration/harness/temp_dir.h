// A directory of its own for one test (state dirs, databases, token files, logs), created under
// $TMPDIR and removed with everything in it when the object goes away.
//   absl::StatusOr<TempDir> dir = TempDir::Create();  std::string db = dir->Path("gateway.db");
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gw::testing {

class TempDir {
 public:
  // mkdtemp("$TMPDIR/<prefix>-XXXXXX"); the system's temporary directory when TMPDIR is unset.
  static absl::StatusOr<TempDir> Create(absl::string_view prefix = "gw-test");

  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string Path(absl::string_view name) const;

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  void Remove();

  std::string path_;  // Empty once moved from.
};

// Writes `contents` to `path` (replacing it) with the given permission bits.
absl::Status WriteFile(const std::string& path, absl::string_view contents, int mode = 0600);

// The whole file; NOT_FOUND when it cannot be opened.
absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace gw::testing
