// A UsageSink decorator that writes each record's access log line, then passes the record on:
// the access log is rendered from the billing record itself, so the two never disagree.
//   auto sink = std::make_shared<AccessLoggingSink>(access_log.get(), reporter_sink);
#pragma once

#include <memory>
#include <utility>

#include "data_plane/observability/access_log.h"
#include "data_plane/stages/usage/usage_sink.h"

namespace gw::dp {

class AccessLoggingSink final : public UsageSink {
 public:
  // `log` must outlive the sink; `next` gets every record.
  AccessLoggingSink(AccessLog* log, std::shared_ptr<UsageSink> next)
      : log_(log), next_(std::move(next)) {}

  // AccessLog::Append only formats and buffers, so this stays non-blocking.
  void Submit(const gateway::usage::v1::UsageRecord& record) override {
    log_->Append(record);
    next_->Submit(record);
  }

 private:
  AccessLog* const log_;
  const std::shared_ptr<UsageSink> next_;
};

}  // namespace gw::dp
