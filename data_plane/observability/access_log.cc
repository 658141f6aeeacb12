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
#include "absl/time/civil_time.h"
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

// A JSON string literal. The record's text fields are valid UTF-8 (the control plane refuses
// anything else), so bytes from 0x80 pass through; quotes, backslashes and control characters
// are escaped.
void AppendJsonString(absl::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(text.data() + run_start, i - run_start);
    run_start = i + 1;
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else {
      const char escape[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
      out->append(escape, sizeof(escape));
    }
  }
  out->append(text.data() + run_start, text.size() - run_start);
  out->push_back('"');
}

void AppendKey(absl::string_view key, std::string* out) {
  out->push_back(',');
  out->push_back('"');
  out->append(key.data(), key.size());
  out->append("\":");
}

void AppendStringField(absl::string_view key, const std::string& value, std::string* out) {
  AppendKey(key, out);
  AppendJsonString(absl::string_view(value.data(), value.size()), out);
}

template <typename Int>
void AppendIntField(absl::string_view key, Int value, std::string* out) {
  AppendKey(key, out);
  AppendInt(value, out);
}

void AppendBoolField(absl::string_view key, bool value, std::string* out) {
  AppendKey(key, out);
  out->append(value ? "true" : "false");
}

// "2026-12-07T14:47:05.123456Z": UTC, microseconds, always the same width (years 0-9999).
void AppendTime(const google::protobuf::Timestamp& timestamp, std::string* out) {
  const absl::CivilSecond civil =
      absl::ToCivilSecond(absl::FromUnixSeconds(timestamp.seconds()), absl::UTCTimeZone());
  AppendPadded(civil.year(), 4, out);
  out->push_back('-');
  AppendPadded(civil.month(), 2, out);
  out->push_back('-');
  AppendPadded(civil.day(), 2, out);
  out->push_back('T');
  AppendPadded(civil.hour(), 2, out);
  out->push_back(':');
  AppendPadded(civil.minute(), 2, out);
  out->push_back(':');
  AppendPadded(civil.second(), 2, out);
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
  out->append("{\"time\":\"");
  AppendTime(record.timestamp(), out);
  out->push_back('"');
  AppendStringField("request_id", record.request_id(), out);
  AppendIntField("status", record.status_code(), out);
  AppendIntField("latency_us", record.latency_us(), out);
  AppendIntField("ttfb_us", record.time_to_first_byte_us(), out);
  AppendStringField("team", record.team(), out);
  AppendStringField("key_id", record.key_id(), out);
  AppendStringField("model", record.model(), out);
  AppendStringField("provider", record.provider(), out);
  AppendStringField("upstream_model", record.upstream_model(), out);
  AppendIntField("input_tokens", record.input_tokens(), out);
  AppendIntField("cached_input_tokens", record.cached_input_tokens(), out);
  AppendIntField("output_tokens", record.output_tokens(), out);
  AppendIntField("cost_pico_usd", record.cost_pico_usd(), out);
  AppendBoolField("streamed", record.streamed(), out);
  AppendBoolField("estimated", record.estimated(), out);
  AppendStringField("error_code", record.error_code(), out);
  AppendStringField("worker", record.worker_id(), out);
  AppendStringField("record_id", record.record_id(), out);
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
  flusher_ = std::thread([this] { RunFlusher(); });
}

AccessLog::~AccessLog() {
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
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
  if (buffer_.size() + line.size() > options_.max_buffer_bytes) {
    dropped_lines_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  buffer_.append(line);
}

void AccessLog::RunFlusher() {
  const auto has_lines = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    return stopping_ || !buffer_.empty();
  };
  const auto is_full = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    return stopping_ || buffer_.size() >= options_.buffer_bytes;
  };
  while (true) {
    bool stop = false;
    {
      absl::MutexLock lock(&mutex_);
      // An idle worker's flusher sleeps until the first line; that line then waits at most the
      // flush interval, less when the buffer fills first.
      mutex_.Await(absl::Condition(&has_lines));
      mutex_.AwaitWithTimeout(absl::Condition(&is_full), options_.flush_interval);
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
