// An incremental parser for server-sent events (the WHATWG event-stream format providers stream
// with): feed it bytes as they arrive, split anywhere, and take each event out as soon as its
// blank line has arrived. Handles LF, CRLF and CR line ends, multi-line data, comments and the
// event field. Events inside one fed chunk are returned without copying.
//   SseParser sse;
//   sse.Feed(chunk);                       // chunk must stay valid until Next() returns false
//   SseEvent event;
//   while (sse.Next(event)) Forward(event.data);   // views valid until the next Next()/Feed()
//   if (sse.overflowed()) ...              // an event grew over the limit
#pragma once

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace gw::dp {

struct SseEvent {
  absl::string_view type;  // The `event:` field; empty when absent.
  absl::string_view data;  // The `data:` lines joined with '\n'.
};

class SseParser {
 public:
  explicit SseParser(size_t max_event_bytes = 32 * 1024 * 1024)
      : max_event_bytes_(max_event_bytes) {}

  void Feed(absl::string_view chunk) { input_ = chunk; }

  // The next complete event of the fed bytes; false when none is complete (the incomplete rest
  // is kept for the next Feed) or the parser overflowed.
  bool Next(SseEvent& event);

  // An event or line exceeded max_event_bytes; the parser stops producing events.
  bool overflowed() const { return overflowed_; }
  // Bytes of an unfinished event are held (a stream that ends now was cut short).
  bool has_partial_event() const { return data_lines_ > 0 || !line_.empty(); }

 private:
  bool NextLine(absl::string_view& line, bool& from_carry);
  void ResetEvent();
  void KeepPendingViews();

  size_t max_event_bytes_;
  absl::string_view input_;
  std::string line_;  // A line split across chunks.
  bool line_pending_clear_ = false;
  bool skip_lf_ = false;  // The last chunk ended in CR: a leading LF belongs to it.
  std::string data_;      // Data when it cannot be a view into the input.
  absl::string_view data_view_;
  bool data_in_view_ = false;  // The single data line so far is data_view_.
  size_t data_lines_ = 0;
  std::string type_;
  bool reset_pending_ = false;
  bool overflowed_ = false;
};

// Appends one event in the canonical form, "data: <line>\n" per data line and a blank line.
void AppendSseData(absl::string_view data, std::string& out);

}  // namespace gw::dp
