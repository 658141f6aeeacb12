// One step of the request pipeline, in the spirit of Envoy's HTTP filters but far smaller.
// OnRequest hooks run in chain order until one answers; OnResponse hooks then run in reverse
// order for every stage whose OnRequest ran, whatever happened (local reply, handler error), so
// a stage that reserves something in OnRequest always gets to release it. Once the response has
// gone to the client (or failed to), OnComplete hooks run for the same stages, again in reverse:
// work that cannot change the answer (metering, access logs) belongs there, off the latency
// path, as Envoy runs its access loggers at the end of the stream.
//
// A stage is built once from its settings and shared by every thread: its methods are const and
// keep per-request state in the RequestContext.
//   class AuthStage final : public Stage {
//     StageVerdict OnRequest(RequestContext& ctx) const override {
//       if (!ok) { SetOpenAiError(ctx.response, 401, ...); return StageVerdict::kRespond; }
//       return StageVerdict::kContinue;
//     }
//   };
#pragma once

#include "absl/strings/string_view.h"
#include "data_plane/pipeline/request_context.h"

namespace gw::dp {

enum class StageVerdict {
  kContinue,  // Go on to the next stage, then the endpoint's handler.
  kRespond,   // ctx.response is complete: skip the rest of the chain and the handler.
};

class Stage {
 public:
  virtual ~Stage() = default;
  virtual absl::string_view name() const = 0;
  virtual StageVerdict OnRequest(RequestContext& ctx) const = 0;
  virtual void OnResponse(RequestContext& /*ctx*/) const {}
  // Exactly once per request whose OnResponse ran, even when the write is abandoned at shutdown.
  virtual void OnComplete(RequestContext& /*ctx*/) const {}
};

}  // namespace gw::dp
