#include "data_plane/providers/sse_parser.h"

#include <string.h>

namespace gw::dp {
namespace {

// The offset of the first CR or LF, or npos. Two memchr passes: string_view::find_first_of
// builds a lookup table on every call, and this runs for every line of every streamed event.
size_t FindLineEnd(absl::string_view text) {
  if (text.empty()) return absl::string_view::npos;  // memchr must not see a null pointer.
  const void* lf = memchr(text.data(), '\n', text.size());
  const size_t lf_at =
      lf == nullptr ? text.size() : static_cast<size_t>(static_cast<const char*>(lf) - text.data());
  if (const void* cr = memchr(text.data(), '\r', lf_at); cr != nullptr) {
    return static_cast<size_t>(static_cast<const char*>(cr) - text.data());
  }
  return lf == nullptr ? absl::string_view::npos : lf_at;
}

}  // namespace

void SseParser::ResetEvent() {
  data_.clear();
  data_view_ = {};
  data_in_view_ = false;
  data_lines_ = 0;
  type_.clear();
}

void SseParser::KeepPendingViews() {
  // The input is about to go away: copy what still points into it.
  if (data_in_view_) {
    data_.assign(data_view_.data(), data_view_.size());
    data_in_view_ = false;
  }
}

bool SseParser::NextLine(absl::string_view& line, bool& from_carry) {
  if (line_pending_clear_) {
    line_.clear();
    line_pending_clear_ = false;
  }
  if (skip_lf_ && !input_.empty()) {
    if (input_.front() == '\n') input_.remove_prefix(1);
    skip_lf_ = false;
  }
  const size_t end = FindLineEnd(input_);
  if (end == absl::string_view::npos) {
    if (line_.size() + input_.size() > max_event_bytes_) {
      overflowed_ = true;
    } else {
      line_.append(input_.data(), input_.size());
    }
    input_ = {};
    return false;
  }
  const absl::string_view piece = input_.substr(0, end);
  const char terminator = input_[end];
  input_.remove_prefix(end + 1);
  if (terminator == '\r') {
    if (input_.empty()) {
      skip_lf_ = true;
    } else if (input_.front() == '\n') {
      input_.remove_prefix(1);
    }
  }
  if (line_.empty()) {
    line = piece;
    from_carry = false;
  } else {
    line_.append(piece.data(), piece.size());
    line = line_;
    from_carry = true;
    line_pending_clear_ = true;
  }
  return true;
}

bool SseParser::Next(SseEvent& event) {
  if (reset_pending_) {
    ResetEvent();
    reset_pending_ = false;
  }
  absl::string_view line;
  bool from_carry = false;
  while (!overflowed_ && NextLine(line, from_carry)) {
    if (line.empty()) {
      if (data_lines_ == 0) {
        type_.clear();  // An event without data is not dispatched.
        continue;
      }
      event.type = type_;
      event.data = data_in_view_ ? data_view_ : absl::string_view(data_);
      reset_pending_ = true;
      return true;
    }
    if (line.front() == ':') continue;  // Comment (keep-alive pings).
    const size_t colon = line.find(':');
    const absl::string_view field = line.substr(0, colon);
    absl::string_view value;
    if (colon != absl::string_view::npos) {
      value = line.substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    }
    if (field == "data") {
      if (data_.size() + value.size() + 1 > max_event_bytes_) {
        overflowed_ = true;
        break;
      }
      if (data_lines_ == 0 && !from_carry) {
        data_view_ = value;
        data_in_view_ = true;
      } else {
        KeepPendingViews();
        if (data_lines_ > 0) data_.push_back('\n');
        data_.append(value.data(), value.size());
      }
      ++data_lines_;
    } else if (field == "event") {
      type_.assign(value.data(), value.size());
    }
    // "id" and "retry" matter to browsers reconnecting, not to a proxy: ignored.
  }
  KeepPendingViews();
  return false;
}

void AppendSseData(absl::string_view data, std::string& out) {
  while (true) {
    const size_t newline = data.find('\n');
    out.append("data: ");
    out.append(data.data(), newline == absl::string_view::npos ? data.size() : newline);
    out.push_back('\n');
    if (newline == absl::string_view::npos) break;
    data.remove_prefix(newline + 1);
  }
  out.push_back('\n');
}

}  // namespace gw::dp
