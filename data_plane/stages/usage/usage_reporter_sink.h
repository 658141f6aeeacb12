// The production UsageSink: records go to the worker's UsageReporter, which spools them and
// streams them to the control plane (Submit only queues them in memory).
//   auto sink = std::make_shared<UsageReporterSink>(&reporter);  // reporter outlives the router
#pragma once

#include "data_plane/stages/usage/usage_sink.h"
#include "data_plane/usage/usage_reporter.h"

namespace gw::dp {

class UsageReporterSink final : public UsageSink {
 public:
  explicit UsageReporterSink(UsageReporter* reporter) : reporter_(reporter) {}

  // A refusal (queue full) is counted and logged by the reporter itself.
  void Submit(const gateway::usage::v1::UsageRecord& record) override {
    (void)reporter_->Submit(record);
  }

 private:
  UsageReporter* const reporter_;
};

}  // namespace gw::dp
