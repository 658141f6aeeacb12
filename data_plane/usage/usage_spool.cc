#include "data_plane/usage/usage_spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <system_error>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "gateway/usage/v1/usage.pb.h"
#include "spdlog/spdlog.h"
#include "zlib.h"

namespace gw::dp {
namespace {

using gateway::usage::v1::UsageRecord;

constexpr size_t kHeaderBytes = 16;  // length, checksum, sequence.
// A record is a few hundred bytes; anything beyond this is a corrupt length field.
constexpr uint32_t kMaxPayloadBytes = 1 << 20;
constexpr char kSegmentPrefix[] = "segment-";
constexpr char kSegmentSuffix[] = ".log";
// A fully acknowledged segment kept to be written over by the next one: overwriting blocks a
// file already has makes each group commit's fdatasync a data flush alone, where appending also
// commits the file system's journal (the grown size and new blocks), about twice the work on
// the core that serves requests. Not a segment name: recovery never replays it.
constexpr char kSpareName[] = "spare-segment.bin";

// CRC-32 (IEEE 802.3, the one zlib computes), chained: Crc32(b, n, Crc32(a, m)) covers a then b.
uint32_t Crc32(const char* data, size_t size, uint32_t crc = 0) {
  return static_cast<uint32_t>(
      crc32_z(crc, reinterpret_cast<const Bytef*>(data), static_cast<z_size_t>(size)));
}

void AppendEntry(uint64_t sequence, const std::string& payload, std::string* out) {
  const uint32_t length = static_cast<uint32_t>(payload.size());
  char sequence_bytes[8];
  std::memcpy(sequence_bytes, &sequence, sizeof(sequence));
  const uint32_t crc = Crc32(payload.data(), payload.size(), Crc32(sequence_bytes, 8));
  char header[kHeaderBytes];
  std::memcpy(header, &length, 4);
  std::memcpy(header + 4, &crc, 4);
  std::memcpy(header + 8, &sequence, 8);
  out->append(header, kHeaderBytes);
  out->append(payload);
}

absl::Status ErrnoStatus(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

// Writes `data` at `offset` (a recycled segment is written over from its start) and syncs it.
absl::Status WriteAllAndSync(int fd, const std::string& data, off_t offset,
                             const std::string& path) {
  size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::pwrite(fd, data.data() + written, data.size() - written,
                               offset + static_cast<off_t>(written));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot write", path);
    }
    written += static_cast<size_t>(n);
  }
  if (::fdatasync(fd) != 0) return ErrnoStatus("cannot fsync", path);
  return absl::OkStatus();
}

// The first sequence a segment file holds, from its name (segment-<first sequence>.log);
// nullopt for any other name.
std::optional<uint64_t> FirstSequenceOf(absl::string_view name) {
  uint64_t sequence = 0;
  if (!absl::ConsumePrefix(&name, kSegmentPrefix) || !absl::ConsumeSuffix(&name, kSegmentSuffix) ||
      !absl::SimpleAtoi(name, &sequence)) {
    return std::nullopt;
  }
  return sequence;
}

// Makes a created or deleted file name durable.
void SyncDirectory(const std::string& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

UsageSpool::UsageSpool(UsageSpoolOptions options)
    : options_(std::move(options)), spare_path_(options_.directory + "/" + kSpareName) {}

UsageSpool::~UsageSpool() {
  std::lock_guard lock(mu_);
  CloseActive();
}

absl::StatusOr<std::unique_ptr<UsageSpool>> UsageSpool::Open(UsageSpoolOptions options) {
  std::error_code error;
  std::filesystem::create_directories(options.directory, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot create the usage spool ", options.directory, ": ", error.message()));
  }
  std::unique_ptr<UsageSpool> spool(new UsageSpool(std::move(options)));
  if (absl::Status status = spool->Recover(); !status.ok()) return status;
  return spool;
}

absl::Status UsageSpool::Recover() {
  std::vector<std::pair<uint64_t, std::string>> found;  // First sequence, path.
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(options_.directory, error)) {
    if (const std::optional<uint64_t> first = FirstSequenceOf(entry.path().filename().string())) {
      found.emplace_back(*first, entry.path().string());
    }
  }
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot list the usage spool ", options_.directory, ": ", error.message()));
  }
  std::sort(found.begin(), found.end());  // Append order.
  std::lock_guard lock(mu_);
  // A spare from an earlier run is not recycled: sequences restart after an empty spool, so its
  // old entries could carry the very sequences the new ones get.
  std::error_code ignored;
  std::filesystem::remove(spare_path_, ignored);
  for (const auto& [first, path] : found) {
    if (absl::Status status = RecoverSegment(path, first); !status.ok()) return status;
  }
  if (!pending_.empty()) {
    spdlog::info("usage spool: {} unacknowledged records recovered from {} segments",
                 pending_.size(), segments_.size());
  }
  return absl::OkStatus();
}

absl::Status UsageSpool::RecoverSegment(const std::string& path, uint64_t first_sequence) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InternalError(absl::StrCat("cannot read ", path));
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  size_t offset = 0;
  Segment segment{path, 0, 0};
  size_t recovered = 0;
  UsageRecord scratch;
  // A segment's entries carry consecutive sequences from the one in its name. One that does not
  // is what a recycled segment held before: its old entries end this one's.
  uint64_t expected = first_sequence;
  bool stale_tail = false;
  while (data.size() - offset >= kHeaderBytes) {
    uint32_t length = 0;
    uint32_t crc = 0;
    uint64_t sequence = 0;
    std::memcpy(&length, data.data() + offset, 4);
    std::memcpy(&crc, data.data() + offset + 4, 4);
    std::memcpy(&sequence, data.data() + offset + 8, 8);
    if (length > kMaxPayloadBytes || data.size() - offset - kHeaderBytes < length) break;
    const char* payload = data.data() + offset + kHeaderBytes;
    if (Crc32(payload, length, Crc32(data.data() + offset + 8, 8)) != crc) break;
    if (sequence != expected) {
      stale_tail = sequence < expected;
      break;
    }
    // The checksum guards against torn writes; a payload that is no record is corruption too.
    if (!scratch.ParseFromArray(payload, static_cast<int>(length))) break;
    ++expected;
    SpooledRecord spooled{sequence, std::string(payload, length)};
    offset += kHeaderBytes + length;
    segment.last_sequence = std::max(segment.last_sequence, sequence);
    next_sequence_ = std::max(next_sequence_, sequence + 1);
    pending_.push_back(std::move(spooled));
    ++recovered;
  }
  if (offset < data.size()) {
    // A crash between write and fsync leaves a partial entry; it was never acknowledged to
    // anyone as durable, so cutting it off loses nothing that was promised.
    if (!stale_tail) {
      spdlog::warn("usage spool: {} ends with {} bytes of a torn or corrupt record; cut off", path,
                   data.size() - offset);
    }
    if (::truncate(path.c_str(), static_cast<off_t>(offset)) != 0) {
      return ErrnoStatus("cannot truncate", path);
    }
  }
  if (recovered == 0) {
    std::filesystem::remove(path);
    return absl::OkStatus();
  }
  segment.bytes = static_cast<int64_t>(offset);
  disk_bytes_ += segment.bytes;
  segments_.push_back(std::move(segment));
  return absl::OkStatus();
}

absl::Status UsageSpool::OpenNewSegment() {
  CloseActive();
  const std::string path = absl::StrFormat("%s/%s%020d%s", options_.directory, kSegmentPrefix,
                                           next_sequence_, kSegmentSuffix);
  if (has_spare_) {
    has_spare_ = false;
    if (::rename(spare_path_.c_str(), path.c_str()) != 0) ::unlink(spare_path_.c_str());
  }
  // Without O_TRUNC: a recycled segment keeps its blocks and is written over from its start.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("cannot create", path);
  SyncDirectory(options_.directory);
  active_fd_ = fd;
  segments_.push_back(Segment{path, 0, 0});
  return absl::OkStatus();
}

void UsageSpool::CloseActive() {
  if (active_fd_ >= 0) ::close(active_fd_);
  active_fd_ = -1;
}

absl::Status UsageSpool::Append(std::vector<std::string>&& payloads) {
  if (payloads.empty()) return absl::OkStatus();
  std::lock_guard lock(mu_);
  std::string buffer;
  size_t total = 0;
  for (const std::string& payload : payloads) total += kHeaderBytes + payload.size();
  buffer.reserve(total);
  uint64_t sequence = next_sequence_;
  for (const std::string& payload : payloads) AppendEntry(sequence++, payload, &buffer);
  if (disk_bytes_ + static_cast<int64_t>(buffer.size()) > options_.max_bytes) {
    refused_records_ += static_cast<int64_t>(payloads.size());
    return absl::ResourceExhaustedError(
        absl::StrCat("usage spool full (", disk_bytes_, " bytes unacknowledged, limit ",
                     options_.max_bytes, "): ", payloads.size(), " records refused"));
  }
  if (active_fd_ < 0 || segments_.back().bytes >= options_.segment_bytes) {
    if (absl::Status status = OpenNewSegment(); !status.ok()) {
      refused_records_ += static_cast<int64_t>(payloads.size());
      return status;
    }
  }
  Segment& segment = segments_.back();
  if (absl::Status status =
          WriteAllAndSync(active_fd_, buffer, static_cast<off_t>(segment.bytes), segment.path);
      !status.ok()) {
    // Cut a partial write off so that later appends do not follow garbage.
    if (::ftruncate(active_fd_, static_cast<off_t>(segment.bytes)) != 0) {
      CloseActive();
      // An empty segment left behind would share its name with the next one opened.
      if (segment.bytes == 0) {
        ::unlink(segment.path.c_str());
        segments_.pop_back();
      }
    }
    refused_records_ += static_cast<int64_t>(payloads.size());
    return status;
  }
  segment.bytes += static_cast<int64_t>(buffer.size());
  segment.last_sequence = sequence - 1;
  disk_bytes_ += static_cast<int64_t>(buffer.size());
  uint64_t appended = next_sequence_;
  for (std::string& payload : payloads) {
    pending_.push_back(SpooledRecord{appended++, std::move(payload)});
  }
  next_sequence_ = sequence;
  for (const size_t wanted : wanted_counts_) {
    if (pending_.size() >= wanted) {
      appended_.notify_all();
      break;
    }
  }
  return absl::OkStatus();
}

std::vector<SpooledRecord> UsageSpool::Pending(uint64_t after, size_t max_records) const {
  std::lock_guard lock(mu_);
  std::vector<SpooledRecord> out;
  auto it = std::upper_bound(
      pending_.begin(), pending_.end(), after,
      [](uint64_t value, const SpooledRecord& record) { return value < record.sequence; });
  for (; it != pending_.end() && out.size() < max_records; ++it) out.push_back(*it);
  return out;
}

bool UsageSpool::WaitForPendingCount(size_t count, absl::Time deadline, uint64_t wakes_seen) const {
  std::unique_lock lock(mu_);
  const auto done = [&] { return pending_.size() >= count || wakes_ != wakes_seen; };
  const absl::Duration wait = deadline - absl::Now();
  if (!done() && wait > absl::ZeroDuration()) {
    wanted_counts_.push_back(count);
    appended_.wait_for(lock, absl::ToChronoNanoseconds(wait), done);
    wanted_counts_.erase(std::find(wanted_counts_.begin(), wanted_counts_.end(), count));
  }
  return pending_.size() >= count;
}

void UsageSpool::WakeWaiters() const {
  {
    std::lock_guard lock(mu_);
    ++wakes_;
  }
  appended_.notify_all();
}

uint64_t UsageSpool::wakes() const {
  std::lock_guard lock(mu_);
  return wakes_;
}

absl::Status UsageSpool::Acknowledge(uint64_t up_to) {
  std::lock_guard lock(mu_);
  while (!pending_.empty() && pending_.front().sequence <= up_to) pending_.pop_front();
  bool deleted = false;
  while (!segments_.empty() && segments_.front().last_sequence <= up_to) {
    if (segments_.size() == 1 && active_fd_ >= 0) CloseActive();
    const std::string& path = segments_.front().path;
    if (!has_spare_ && ::rename(path.c_str(), spare_path_.c_str()) == 0) {
      has_spare_ = true;
    } else if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return ErrnoStatus("cannot delete", path);
    }
    disk_bytes_ -= segments_.front().bytes;
    segments_.pop_front();
    deleted = true;
  }
  // Not for safety (a resurrected segment only replays records the control plane ignores as
  // duplicates) but so that a restart does not resend much.
  if (deleted) SyncDirectory(options_.directory);
  return absl::OkStatus();
}

absl::Status UsageSpool::SetAside(const SpooledRecord& record, absl::string_view reason) {
  const std::string path = options_.directory + "/rejected.log";
  std::string buffer;
  AppendEntry(record.sequence, record.payload, &buffer);
  // Not O_APPEND: Linux's pwrite appends to such a file wherever it is told to write.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus("cannot open", path);
  const off_t end = ::lseek(fd, 0, SEEK_END);
  const absl::Status status =
      end < 0 ? ErrnoStatus("cannot seek", path) : WriteAllAndSync(fd, buffer, end, path);
  ::close(fd);
  if (status.ok()) {
    UsageRecord parsed;
    (void)parsed.ParseFromString(record.payload);
    spdlog::error("usage record {} refused by the control plane for good, moved to {}: {}",
                  parsed.record_id(), path, std::string_view(reason.data(), reason.size()));
  }
  return status;
}

size_t UsageSpool::pending_count() const {
  std::lock_guard lock(mu_);
  return pending_.size();
}
int64_t UsageSpool::disk_bytes() const {
  std::lock_guard lock(mu_);
  return disk_bytes_;
}
uint64_t UsageSpool::last_sequence() const {
  std::lock_guard lock(mu_);
  return next_sequence_ - 1;
}
int64_t UsageSpool::refused_records() const {
  std::lock_guard lock(mu_);
  return refused_records_;
}
int UsageSpool::segment_count() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(segments_.size());
}

}  // namespace gw::dp
