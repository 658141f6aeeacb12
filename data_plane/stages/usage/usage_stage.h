// Meters every /v1/* request: once the response has been written, builds its one UsageRecord
// (who, which model and provider, tokens, timings, the status the client got, cost from the
// pinned snapshot's prices) and hands it to a UsageSink. It must be the FIRST stage of every
// chain, so that its OnComplete runs last and sees what every other stage and the handler
// decided, refusals included. Health probes (/healthz, /readyz) and paths outside /v1/ are not
// metered.
//   auto usage = std::make_shared<UsageStage>(UsageStageOptions{.sink = sink, .worker_id = id});
//   Pipeline chat({usage, key_auth, body_limit, ...}, upstream_handler);
#pragma once

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "data_plane/pipeline/stage.h"
#include "data_plane/stages/usage/usage_sink.h"
#include "data_plane/usage/record_id.h"
#include "gateway/usage/v1/usage.pb.h"

namespace gw::dp {

struct UsageStageOptions {
  std::shared_ptr<UsageSink> sink = nullptr;  // Required.
  std::string worker_id = {};
};

class UsageStage final : public Stage {
 public:
  explicit UsageStage(UsageStageOptions options);

  absl::string_view name() const override { return "usage"; }
  // Nothing to do yet: everything the record needs is in the context when the response is done.
  StageVerdict OnRequest(RequestContext& /*ctx*/) const override { return StageVerdict::kContinue; }
  // Reads the usage the provider's body reported (deferred until now so that the answer does
  // not wait for it), then submits the record.
  void OnComplete(RequestContext& ctx) const override;

  // Fills `record` (cleared first) with what OnComplete submits for `ctx`, finished at `now`
  // (tests check it field by field). OnComplete reuses one record per thread, so its strings
  // keep their capacity from request to request.
  void BuildRecord(const RequestContext& ctx, absl::Time now,
                   gateway::usage::v1::UsageRecord& record) const;

  // Whether a request to `target` gets a record: every path under /v1/, whatever the answer.
  static bool IsMetered(absl::string_view target);

 private:
  const std::shared_ptr<UsageSink> sink_;
  const std::string worker_id_;
  mutable RecordIdGenerator record_ids_;  // Thread-safe.
};

}  // namespace gw::dp
