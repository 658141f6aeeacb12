// The last N requests the fake provider received on its provider paths, so tests can assert what
// the gateway forwarded (credential header, body fields, absence of the gateway key).
//   if (recorder.enabled()) recorder.Record(std::move(request));   recorder.ToJson();
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "boost/json/array.hpp"

namespace gw::testing {

struct RecordedRequest {
  std::string method;
  std::string target;
  // In arrival order; names lower-cased.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

class Recorder {
 public:
  // `capacity` 0 disables recording; callers check enabled() before building a RecordedRequest.
  explicit Recorder(size_t capacity) : capacity_(capacity) {}

  bool enabled() const { return capacity_ > 0; }
  void Record(RecordedRequest request);
  void Clear();

  // Oldest first: [{"method", "path", "headers": {name: value}, "body"}]. Repeated header names
  // are joined with ", ".
  boost::json::array ToJson() const;

 private:
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<RecordedRequest> requests_;  // guarded by mutex_
};

}  // namespace gw::testing
