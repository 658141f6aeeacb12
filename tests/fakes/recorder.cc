#include "tests/fakes/recorder.h"

#include "boost/json/object.hpp"
#include "boost/json/value.hpp"

namespace gw::testing {

void Recorder::Record(RecordedRequest request) {
  if (capacity_ == 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (requests_.size() == capacity_) requests_.pop_front();
  requests_.push_back(std::move(request));
}

void Recorder::Clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  requests_.clear();
}

boost::json::array Recorder::ToJson() const {
  boost::json::array out;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const RecordedRequest& r : requests_) {
    boost::json::object headers;
    for (const auto& [name, value] : r.headers) {
      if (auto* existing = headers.if_contains(name)) {
        std::string joined(existing->as_string());
        joined += ", ";
        joined += value;
        *existing = joined;
      } else {
        headers[name] = value;
      }
    }
    boost::json::object entry;
    entry["method"] = r.method;
    entry["path"] = r.target;
    entry["headers"] = std::move(headers);
    entry["body"] = r.body;
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace gw::testing
