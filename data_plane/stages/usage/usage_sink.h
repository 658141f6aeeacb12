// Where the usage stage hands each finished request's record: the worker's UsageReporter in
// production (see usage_reporter_sink.h), a recording fake in tests.
//   class RecordingSink final : public UsageSink { void Submit(const UsageRecord&) override; };
#pragma once

#include "gateway/usage/v1/usage.pb.h"

namespace gw::dp {

class UsageSink {
 public:
  virtual ~UsageSink() = default;
  // Called on request threads once per finished request: must be thread-safe and must never
  // block on disk or network. `record` is the caller's and reused after the call: copy what is
  // kept.
  virtual void Submit(const gateway::usage::v1::UsageRecord& record) = 0;
};

}  // namespace gw::dp
