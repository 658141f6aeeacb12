#include "data_plane/observability/access_log.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/json_text.h"
#include "common/thread_role.h"
#include "spdlog/spdlog.h"

namespace gw::dp {
namespace {

using gateway::usage::v1::UsageRecord;

template <typename Int>
void AppendInt(Int value, std::string* out) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof(digits), value);
  out->append(digits, result.ptr);
}

// `value` in at least `width` digits, zero-padded (the fields of an RFC 3339 time).
void AppendPadded(int64_t value, int width, std::string* out) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof(digits), value);
  const auto length = static_cast<int>(result.ptr - digits);
  if (length < width) out->append(static_cast<size_t>(width - length), '0');
  out->append(digits, result.ptr);
}

// Each field is appended as its literal prefix (`,"key":`), then its value: one append per piece.
// The record's text fields are valid UTF-8 (the control plane refuses anything else), so the
// project's JSON quoting, which passes bytes from 0x80 through, suffices.
void AppendStringField(absl::string_view prefix, const std::string& value, std::string* out) {
  out->append(prefix.data(), prefix.size());
  AppendJsonQuoted(absl::string_view(value.data(), value.size()), *out);
}

template <typename Int>
void AppendIntField(absl::string_view prefix, Int value, std::string* out) {
  out->append(prefix.data(), prefix.size());
  AppendInt(value, out);
}

void AppendBoolField(absl::string_view prefix, bool value, std::string* out) {
  out->append(prefix.data(), prefix.size());
  if (value) {
    out->append("true", 4);
  } else {
    out->append("false", 5);
  }
}

// "2026-12-07T14:47:05.123456Z": UTC, microseconds, always the same width for years 0-9999.
// Civil date from days since 1970-01-01 by H. Hinnant's civil_from_days: a time zone lookup
// (absl::ToCivilSecond) cost more than the rest of the line.
void AppendTime(const google::protobuf::Timestamp& timestamp, std::string* out) {
  const int64_t seconds = timestamp.seconds();
  int64_t days = seconds / 86400;
  int64_t second_of_day = seconds % 86400;
  if (second_of_day < 0) {
    second_of_day += 86400;
    --days;
  }
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t day_of_era = z - era * 146097;
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t month_index = (5 * day_of_year + 2) / 153;  // March = 0
  const int64_t day = day_of_year - (153 * month_index + 2) / 5 + 1;
  const int64_t month = month_index < 10 ? month_index + 3 : month_index - 9;
  const int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  AppendPadded(year, 4, out);
  out->push_back('-');
  AppendPadded(month, 2, out);
  out->push_back('-');
  AppendPadded(day, 2, out);
  out->push_back('T');
  AppendPadded(second_of_day / 3600, 2, out);
  out->push_back(':');
  AppendPadded(second_of_day / 60 % 60, 2, out);
  out->push_back(':');
  AppendPadded(second_of_day % 60, 2, out);
  out->push_back('.');
  AppendPadded(std::clamp<int64_t>(timestamp.nanos(), 0, 999'999'999) / 1000, 6, out);
  out->push_back('Z');
}

size_t CountLines(absl::string_view text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

// True when the count crossed a power of two since it was last reported (1, 2, 4, 8, ...).
bool CrossedPowerOfTwo(uint64_t reported, uint64_t now) {
  return std::bit_width(now) > std::bit_width(reported);
}

absl::StatusOr<int> OpenForAppend(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    const int error = errno;
    return absl::Status(
        absl::ErrnoToStatusCode(error),
        absl::StrCat("access log ", path, ": cannot open for appending: ", std::strerror(error)));
  }
  return fd;
}

}  // namespace

void AppendAccessLogLine(const UsageRecord& record, std::string* out) {
  out->append(R"({"time":")");
  AppendTime(record.timestamp(), out);
  out->push_back('"');
  AppendStringField(R"(,"request_id":)", record.request_id(), out);
  AppendIntField(R"(,"status":)", record.status_code(), out);
  AppendIntField(R"(,"latency_us":)", record.latency_us(), out);
  AppendIntField(R"(,"ttfb_us":)", record.time_to_first_byte_us(), out);
  AppendStringField(R"(,"team":)", record.team(), out);
  AppendStringField(R"(,"key_id":)", record.key_id(), out);
  AppendStringField(R"(,"model":)", record.model(), out);
  AppendStringField(R"(,"provider":)", record.provider(), out);
  AppendStringField(R"(,"upstream_model":)", record.upstream_model(), out);
  AppendIntField(R"(,"input_tokens":)", record.input_tokens(), out);
  AppendIntField(R"(,"cached_input_tokens":)", record.cached_input_tokens(), out);
  AppendIntField(R"(,"output_tokens":)", record.output_tokens(), out);
  AppendIntField(R"(,"cost_pico_usd":)", record.cost_pico_usd(), out);
  AppendBoolField(R"(,"streamed":)", record.streamed(), out);
  AppendBoolField(R"(,"estimated":)", record.estimated(), out);
  AppendStringField(R"(,"error_code":)", record.error_code(), out);
  AppendStringField(R"(,"worker":)", record.worker_id(), out);
  AppendStringField(R"(,"record_id":)", record.record_id(), out);
  out->append("}\n");
}

absl::StatusOr<std::unique_ptr<AccessLog>> AccessLog::Open(AccessLogOptions options) {
  if (options.path.empty()) return absl::InvalidArgumentError("access log: no path");
  if (options.buffer_bytes == 0 || options.max_buffer_bytes < options.buffer_bytes) {
    return absl::InvalidArgumentError(
        "access log: buffer_bytes must be positive and at most max_buffer_bytes");
  }
  if (options.flush_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("access log: flush_interval must be positive");
  }
  absl::StatusOr<int> fd = OpenForAppend(options.path);
  if (!fd.ok()) return fd.status();
  return std::unique_ptr<AccessLog>(new AccessLog(std::move(options), *fd));
}

AccessLog::AccessLog(AccessLogOptions options, int fd) : options_(std::move(options)), fd_(fd) {
  // Room for a full buffer plus the lines that arrive while the flusher wakes up; both buffers
  // keep their capacity across swaps, so appends stop allocating after warm-up.
  const size_t reserve = std::min(options_.buffer_bytes * 2, options_.max_buffer_bytes);
  buffer_.reserve(reserve);
  writing_.reserve(reserve);
  flusher_ = std::thread([this] {
    SetThreadRole("gw-access-log", ThreadPriority::kBackground);
    RunFlusher();
  });
}

AccessLog::~AccessLog() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
    flusher_wake_.Signal();
  }
  flusher_.join();  // Its last round writes what is still buffered.
  absl::MutexLock io(&io_mutex_);
  ::close(fd_);
}

void AccessLog::Append(const UsageRecord& record) {
  // Formatted outside the lock, into a string each thread reuses.
  thread_local std::string line;
  line.clear();
  AppendAccessLogLine(record, &line);
  absl::MutexLock lock(&mutex_);
  const size_t before = buffer_.size();
  if (before + line.size() > options_.max_buffer_bytes) {
    dropped_lines_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  buffer_.append(line);
  // The flusher waits for the first line, then for a full buffer: only those two appends wake it.
  if (before == 0 || (before < options_.buffer_bytes && buffer_.size() >= options_.buffer_bytes)) {
    flusher_wake_.Signal();
  }
}

void AccessLog::RunFlusher() {
  while (true) {
    bool stop = false;
    {
      absl::MutexLock lock(&mutex_);
      // An idle worker's flusher sleeps until the first line; that line then waits at most the
      // flush interval, less when the buffer fills first. A condition variable, not
      // Mutex::Await: a conditional waiter sends every unlock, one per request, down the
      // mutex's slow path to test its condition.
      while (!stopping_ && buffer_.empty()) flusher_wake_.Wait(&mutex_);
      const absl::Time deadline = absl::Now() + options_.flush_interval;
      while (!stopping_ && buffer_.size() < options_.buffer_bytes) {
        if (flusher_wake_.WaitWithDeadline(&mutex_, deadline)) break;  // The interval passed.
      }
      stop = stopping_;
    }
    {
      absl::MutexLock io(&io_mutex_);
      (void)WriteBuffered();  // Losses are counted and reported below.
      ReportLosses();
    }
    if (stop) return;
  }
}

absl::Status AccessLog::WriteBuffered() {
  {
    absl::MutexLock lock(&mutex_);
    buffer_.swap(writing_);
  }
  if (writing_.empty()) return absl::OkStatus();
  // After a write that stopped inside a line, a newline first, so that the lines after it parse
  // (rare: write errors only).
  const size_t prefix = line_cut_ ? 1 : 0;
  if (line_cut_) writing_.insert(writing_.begin(), '\n');
  const char* const begin = writing_.data();
  const char* data = begin;
  size_t left = writing_.size();
  absl::Status status;
  while (left > 0) {
    const ssize_t written = ::write(fd_, data, left);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      const int error = written < 0 ? errno : EIO;
      status = absl::Status(absl::ErrnoToStatusCode(error),
                            absl::StrCat("access log ", options_.path, ": ", std::strerror(error)));
      break;
    }
    data += written;
    left -= static_cast<size_t>(written);
  }
  if (left > 0) {
    // Every line not completely written is lost, a cut one included.
    const size_t unwritten_from = std::max<size_t>(static_cast<size_t>(data - begin), prefix);
    lost_lines_.fetch_add(CountLines(absl::string_view(writing_).substr(unwritten_from)),
                          std::memory_order_relaxed);
    last_error_ = status.ToString();
    if (data != begin) line_cut_ = data[-1] != '\n';
  } else {
    line_cut_ = false;
  }
  writing_.clear();
  return status;
}

void AccessLog::ReportLosses() {
  const uint64_t dropped = dropped_lines();
  if (CrossedPowerOfTwo(reported_dropped_, dropped)) {
    spdlog::warn(
        "access log {}: {} lines dropped so far: the file cannot keep up and the buffer "
        "holds {} bytes at most",
        options_.path, dropped, options_.max_buffer_bytes);
  }
  reported_dropped_ = dropped;
  const uint64_t lost = lost_lines();
  if (CrossedPowerOfTwo(reported_lost_, lost)) {
    spdlog::error("access log: {} lines lost to write errors so far; the last: {}", lost,
                  last_error_);
  }
  reported_lost_ = lost;
}

absl::Status AccessLog::Flush() {
  absl::MutexLock io(&io_mutex_);
  absl::Status status = WriteBuffered();
  ReportLosses();
  return status;
}

absl::Status AccessLog::Reopen() {
  absl::StatusOr<int> fd = OpenForAppend(options_.path);
  if (!fd.ok()) return fd.status();
  absl::MutexLock io(&io_mutex_);
  // What was buffered before the rotation goes to the old file, as nginx does.
  (void)WriteBuffered();
  ReportLosses();
  ::close(fd_);
  fd_ = *fd;
  line_cut_ = false;
  return absl::OkStatus();
}

}  // namespace gw::dp
