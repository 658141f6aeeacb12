#include "bench/client/response_reader.h"

#include <algorithm>
#include <cstddef>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace gw::bench {

void ResponseReader::Reset() {
  state_ = State::kHead;
  line_.clear();
  status_ = 0;
  connection_close_ = false;
  remaining_ = 0;
}

absl::Status ResponseReader::ParseHead() {
  std::vector<absl::string_view> lines = absl::StrSplit(line_, "\r\n");
  absl::string_view status_line = lines.empty() ? "" : lines[0];
  // "HTTP/1.1 200 OK"
  if (!absl::StartsWith(status_line, "HTTP/1.") || status_line.size() < 12 ||
      !absl::SimpleAtoi(status_line.substr(9, 3), &status_)) {
    return absl::DataLossError(absl::StrCat("bad status line: ", status_line.substr(0, 64)));
  }
  bool chunked = false;
  bool has_length = false;
  uint64_t length = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos) continue;
    const absl::string_view name = lines[i].substr(0, colon);
    const absl::string_view value = absl::StripAsciiWhitespace(lines[i].substr(colon + 1));
    if (absl::EqualsIgnoreCase(name, "content-length")) {
      if (!absl::SimpleAtoi(value, &length)) return absl::DataLossError("bad content-length");
      has_length = true;
    } else if (absl::EqualsIgnoreCase(name, "transfer-encoding")) {
      chunked = absl::StrContains(absl::AsciiStrToLower(value), "chunked");
    } else if (absl::EqualsIgnoreCase(name, "connection")) {
      connection_close_ = absl::StrContains(absl::AsciiStrToLower(value), "close");
    }
  }
  line_.clear();
  if (chunked) {
    state_ = State::kChunkSize;
  } else if (has_length) {
    remaining_ = length;
    state_ = length == 0 ? State::kDone : State::kLengthBody;
  } else if (status_ == 204 || status_ == 304 || status_ / 100 == 1) {
    state_ = State::kDone;
  } else {
    return absl::UnimplementedError("response without length or chunking");
  }
  return absl::OkStatus();
}

absl::Status ResponseReader::ParseChunkSize() {
  // "1a2b[;extension]"
  absl::string_view size_text = line_;
  size_text = size_text.substr(0, size_text.find(';'));
  size_text = absl::StripAsciiWhitespace(size_text);
  if (size_text.empty() || !absl::SimpleHexAtoi(size_text, &remaining_)) {
    return absl::DataLossError(absl::StrCat("bad chunk size: ", size_text.substr(0, 32)));
  }
  line_.clear();
  state_ = remaining_ == 0 ? State::kTrailer : State::kChunkData;
  return absl::OkStatus();
}

absl::Status ResponseReader::Feed(absl::string_view data, std::string* body) {
  while (!data.empty()) {
    switch (state_) {
      case State::kHead: {
        // The terminator may straddle two reads: search from a little before the new bytes.
        const size_t search_from = line_.size() >= 3 ? line_.size() - 3 : 0;
        line_.append(data.data(), data.size());
        const size_t end = line_.find("\r\n\r\n", search_from);
        if (end == std::string::npos) return absl::OkStatus();
        const size_t consumed = end + 4 - (line_.size() - data.size());
        line_.resize(end);
        data.remove_prefix(consumed);
        if (absl::Status s = ParseHead(); !s.ok()) return s;
        break;
      }
      case State::kLengthBody: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, data.size()));
        body->append(data.data(), take);
        data.remove_prefix(take);
        remaining_ -= take;
        if (remaining_ == 0) state_ = State::kDone;
        break;
      }
      case State::kChunkSize:
      case State::kTrailer: {
        const size_t newline = data.find('\n');
        const size_t take = newline == absl::string_view::npos ? data.size() : newline + 1;
        line_.append(data.data(), take);
        data.remove_prefix(take);
        if (newline == absl::string_view::npos) break;
        line_.resize(line_.size() - 1);
        if (!line_.empty() && line_.back() == '\r') line_.pop_back();
        if (state_ == State::kChunkSize) {
          if (absl::Status s = ParseChunkSize(); !s.ok()) return s;
        } else if (line_.empty()) {
          state_ = State::kDone;
        } else {
          line_.clear();  // a trailer field: ignored
        }
        break;
      }
      case State::kChunkData: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, data.size()));
        body->append(data.data(), take);
        data.remove_prefix(take);
        remaining_ -= take;
        if (remaining_ == 0) state_ = State::kChunkDataEnd;
        break;
      }
      case State::kChunkDataEnd: {
        // The CRLF after a chunk's data.
        const char c = data.front();
        data.remove_prefix(1);
        if (c == '\n') {
          state_ = State::kChunkSize;
        } else if (c != '\r') {
          return absl::DataLossError("chunk data not followed by CRLF");
        }
        break;
      }
      case State::kDone:
        return absl::DataLossError("bytes after the end of the response");
    }
  }
  return absl::OkStatus();
}

}  // namespace gw::bench
