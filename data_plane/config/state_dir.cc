#include "data_plane/config/state_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/api_key.h"
#include "common/names.h"
#include "common/status_macros.h"

namespace gw::dp {
namespace {

absl::Status ErrnoError(absl::string_view what, const std::string& path) {
  const int error = errno;
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(error)));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now so that a close error is reported rather than ignored.
  int Close() {
    const int result = ::close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};

absl::Status WriteAll(int fd, absl::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(written));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status EnsureDirectory(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot create directory ", dir, ": ", error.message()));
  }
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& dir, absl::string_view name,
                                 absl::string_view contents) {
  const std::string target = absl::StrCat(dir, "/", name);
  const std::string temp = absl::StrCat(target, ".tmp.", ::getpid());
  {
    Fd file(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (file.get() < 0) return ErrnoError("cannot create", temp);
    absl::Status written = WriteAll(file.get(), contents, temp);
    if (written.ok() && ::fsync(file.get()) != 0) written = ErrnoError("cannot fsync", temp);
    if (written.ok() && file.Close() != 0) written = ErrnoError("cannot close", temp);
    if (!written.ok()) {
      ::unlink(temp.c_str());
      return written;
    }
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    absl::Status renamed = ErrnoError("cannot rename over", target);
    ::unlink(temp.c_str());
    return renamed;
  }
  // The rename is durable only once the directory entry is.
  Fd directory(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory.get() < 0) return ErrnoError("cannot open directory", dir);
  if (::fsync(directory.get()) != 0) return ErrnoError("cannot fsync directory", dir);
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  Fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.get() < 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat(path, " does not exist"));
    return ErrnoError("cannot open", path);
  }
  std::string contents;
  char buffer[64 * 1024];
  while (true) {
    const ssize_t n = ::read(file.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("cannot read", path);
    }
    if (n == 0) break;
    contents.append(buffer, static_cast<size_t>(n));
  }
  return contents;
}

absl::StatusOr<std::string> LoadOrCreateWorkerId(const std::string& state_dir) {
  constexpr absl::string_view kFile = "worker_id";
  absl::StatusOr<std::string> stored = ReadWholeFile(absl::StrCat(state_dir, "/", kFile));
  if (stored.ok()) {
    const std::string id(absl::StripAsciiWhitespace(*stored));
    if (IsValidName(id)) return id;
    return absl::FailedPreconditionError(
        absl::StrCat(state_dir, "/", kFile, " does not hold a valid worker id"));
  }
  if (!absl::IsNotFound(stored.status())) return stored.status();
  GW_ASSIGN_OR_RETURN(std::string id, GenerateId("wrk_"));
  GW_RETURN_IF_ERROR(WriteFileAtomically(state_dir, kFile, absl::StrCat(id, "\n")));
  return id;
}

}  // namespace gw::dp
