// An incremental HTTP/1.1 response parser for the load generators: bytes in as they are read,
// decoded body bytes out (Content-Length or chunked), so a stream's pieces keep their arrival time.
//   ResponseReader reader;  std::string body;
//   GW_RETURN_IF_ERROR(reader.Feed(bytes, &body));  if (reader.complete()) ...
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace gw::bench {

class ResponseReader {
 public:
  // Consumes `data`, appending the decoded body bytes it holds to `body`. Bytes after the end of
  // the response are an error: the generators never pipeline, so they mean a broken server.
  absl::Status Feed(absl::string_view data, std::string* body);

  bool head_complete() const { return state_ != State::kHead; }
  bool complete() const { return state_ == State::kDone; }
  int status() const { return status_; }
  // The server asked to close the connection after this response.
  bool connection_close() const { return connection_close_; }

  // Ready for the next response on the same connection.
  void Reset();

 private:
  enum class State { kHead, kLengthBody, kChunkSize, kChunkData, kChunkDataEnd, kTrailer, kDone };

  absl::Status ParseHead();
  absl::Status ParseChunkSize();

  State state_ = State::kHead;
  std::string line_;  // the head, or the current chunk-size or trailer line, as it accumulates
  int status_ = 0;
  bool connection_close_ = false;
  uint64_t remaining_ = 0;  // body bytes left: of the whole body or of the current chunk
};

}  // namespace gw::bench
