#include "data_plane/grpc/pipeline_call.h"

#include <exception>
#include <utility>

#include "absl/time/clock.h"
#include "boost/asio/co_spawn.hpp"
#include "boost/asio/detached.hpp"
#include "data_plane/http/openai_error.h"
#include "spdlog/spdlog.h"

namespace gw::dp {
namespace asio = boost::asio;

PipelineCall::PipelineCall(const Router& router, const SnapshotStore& snapshots,
                           uint64_t max_body_bytes, PipelineRequest request)
    : router_(router),
      snapshots_(snapshots),
      max_body_bytes_(max_body_bytes),
      request_id_(std::move(request.request_id)) {
  request_.method(request.method);
  request_.target(request.path);
  request_.version(11);
  if (!request.authorization.empty()) request_.set("authorization", request.authorization);
  if (!request.api_key.empty()) request_.set("x-api-key", request.api_key);
  request_.set("x-request-id", request_id_);
  request_.set("content-type", "application/json");
  request_.body() = std::move(request.body);
  request_.prepare_payload();
}

void PipelineCall::Start(asio::any_io_executor executor, ClientStream* stream,
                         std::function<void(const RequestContext&)> done) {
  ctx_.client_stream = stream;
  asio::co_spawn(std::move(executor), Run(shared_from_this(), std::move(done)), asio::detached);
}

asio::awaitable<void> PipelineCall::Run(std::shared_ptr<PipelineCall> self,
                                        std::function<void(const RequestContext&)> done) {
  RequestContext& ctx = self->ctx_;
  ctx.request = &self->request_;
  ctx.request_id = self->request_id_;
  ctx.snapshot = self->snapshots_.Load();
  ctx.received_at = absl::Now();
  ctx.body_too_large = self->request_.body().size() > self->max_body_bytes_;
  bool answered = false;
  try {
    const auto target = self->request_.target();
    co_await self->router_
        .Find(self->request_.method(), absl::string_view(target.data(), target.size()))
        .Run(ctx, [&]() -> asio::awaitable<bool> {
          answered = true;
          done(ctx);
          co_return true;
        });
  } catch (const std::exception& e) {
    // The pipeline turns handler failures into responses; this is a last resort.
    spdlog::error("grpc request {} failed: {}", self->request_id_, e.what());
    if (!answered) {
      SetOpenAiError(ctx.response, 500, ErrorType::kApi, "internal_error",
                     "The gateway failed to process the request.");
      done(ctx);
    }
  }
}

}  // namespace gw::dp
