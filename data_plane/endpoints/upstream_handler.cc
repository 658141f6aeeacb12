#include "data_plane/endpoints/upstream_handler.h"

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/time/clock.h"
#include "boost/asio/this_coro.hpp"
#include "data_plane/endpoints/delayed_client_watch.h"
#include "data_plane/http/openai_error.h"
#include "spdlog/spdlog.h"

namespace gw::dp {
namespace asio = boost::asio;
namespace {

constexpr absl::string_view kEventStreamContentType = "text/event-stream";

// One client per worker thread (its pool and TLS context are that thread's): made on the first
// upstream call of the thread, on that thread's io_context (`executor`).
UpstreamClient* ThreadUpstreamClient(const asio::any_io_executor& executor,
                                     const UpstreamClientOptions& options) {
  static thread_local std::unique_ptr<UpstreamClient> client;
  if (client == nullptr) {
    absl::StatusOr<std::unique_ptr<UpstreamClient>> made =
        UpstreamClient::Create(executor, options);
    if (!made.ok()) {
      spdlog::error("cannot create the upstream client: {}", made.status().ToString());
      return nullptr;
    }
    client = *std::move(made);
  }
  return client.get();
}

// How long an upstream call runs before its client is watched: longer than a fast answer takes
// under load, short against what a model takes.
constexpr absl::Duration kClientWatchDelay = absl::Milliseconds(50);

// The thread's not-yet-started client watches, like its upstream client made on the thread's
// first upstream call, on its io_context.
DelayedClientWatches& ThreadClientWatches(const asio::any_io_executor& executor) {
  static thread_local DelayedClientWatches watches(executor, kClientWatchDelay);
  return watches;
}

void SetProviderError(RequestContext& ctx, const ProviderError& error) {
  ctx.response.status = error.http_status;
  ctx.response.content_type = kJsonContentType;
  ctx.response.body = error.body;
  if (!error.retry_after.empty()) ctx.response.AddHeader("Retry-After", error.retry_after);
  ctx.usage.status = error.http_status;
  ctx.usage.failed = true;
}

// fmt cannot format absl::string_view (a distinct type in this abseil).
std::string_view Std(absl::string_view text) { return std::string_view(text.data(), text.size()); }

// The client left before its answer was complete: it gets nothing more.
void SetClientGone(RequestContext& ctx) {
  ctx.usage.status = 499;
  ctx.usage.failed = true;
}

// When the provider call failed, or the provider answered an error status (its body in
// `error_body`), gives the client the mapped error and returns true.
bool SetHeadError(RequestContext& ctx, const Provider& provider,
                  const absl::StatusOr<ResponseHead>& head, absl::string_view error_body) {
  if (!head.ok()) {
    spdlog::warn("call to provider {} failed: {}", Std(provider.name()), head.status().ToString());
    SetProviderError(ctx, provider.MapFailure(head.status()));
    return true;
  }
  if (head->status >= 400) {
    SetProviderError(ctx, provider.MapErrorResponse(head->status, error_body,
                                                    head->headers->Find("retry-after")));
    return true;
  }
  return false;
}

bool CallWasCancelled(const absl::Status& status) {
  return status.code() == absl::StatusCode::kCancelled;
}

// How a stream ended, as the pump saw it.
struct StreamOutcome {
  bool client_gone = false;
  std::optional<ProviderError> failure;
};

// Forwards the upstream stream to the client event by event, starting with `chunk` (the first
// piece of the body, already read). Ends the client's stream with [DONE] as the provider sent it,
// or with an error event. A call cancelled by the client watch (the client left) ends it quietly.
asio::awaitable<void> PumpStream(const Provider& provider, UpstreamCall& call, ClientStream& client,
                                 absl::string_view chunk, StreamState& state,
                                 StreamOutcome& outcome) {
  SseParser sse;
  SseEvent event;
  std::string out;
  while (!chunk.empty()) {
    sse.Feed(chunk);
    out.clear();
    while (sse.Next(event)) provider.OnStreamEvent(event, state, out);
    if (sse.overflowed()) {
      outcome.failure = ProviderErrorBadResponse(provider.name(), "a stream event is too large");
      break;
    }
    if (!out.empty() && !co_await client.Write(out)) {
      outcome.client_gone = true;
      co_return;
    }
    absl::StatusOr<absl::string_view> next = co_await call.ReadBody();
    if (!next.ok()) {
      if (CallWasCancelled(next.status())) {
        outcome.client_gone = true;
        co_return;
      }
      spdlog::warn("stream from provider {} failed: {}", Std(provider.name()),
                   next.status().ToString());
      outcome.failure = provider.MapFailure(next.status());
      break;
    }
    chunk = *next;
  }
  if (!outcome.failure && !state.saw_done && !state.saw_error) {
    outcome.failure =
        ProviderErrorBadResponse(provider.name(), "the stream ended before its end marker");
  }
  if (outcome.failure) {
    out.clear();
    AppendStreamErrorEvent(*outcome.failure, out);
    if (co_await client.Write(out)) co_await client.End(/*clean=*/false);
  } else {
    co_await client.End(/*clean=*/!state.saw_error);
  }
}

// What a result holds until it is set: a code alone, which absl keeps inline, so that no request
// allocates a message it never reads.
absl::Status NotYetSet() { return absl::Status(absl::StatusCode::kUnknown, ""); }

// While it lives, watches the client (when there is one) from kClientWatchDelay into the call on,
// and cancels the upstream call the moment the client goes away.
class CancelWhenClientGone final : public ClientGoneListener {
 public:
  CancelWhenClientGone(const asio::any_io_executor& executor, ClientStream* client,
                       UpstreamCall& call)
      : call_(call), watch_(ThreadClientWatches(executor), client, *this) {}

  void OnClientGone() override {
    gone_ = true;
    call_.Cancel();
  }
  bool gone() const { return gone_; }

 private:
  UpstreamCall& call_;
  bool gone_ = false;
  const DelayedClientWatch watch_;  // Last: stops watching before the rest goes.
};

}  // namespace

UpstreamHandler::UpstreamHandler(ApiKind api, std::shared_ptr<const ProviderCache> providers,
                                 UpstreamClientOptions client_options)
    : api_(api), providers_(std::move(providers)), client_options_(std::move(client_options)) {}

asio::awaitable<void> UpstreamHandler::Handle(RequestContext& ctx) const {
  co_await Serve(ctx);
  ctx.usage.latency = absl::Now() - ctx.received_at;
}

asio::awaitable<void> UpstreamHandler::Serve(RequestContext& ctx) const {
  // Held for the whole call: a new snapshot cannot pull the provider away meanwhile.
  const std::shared_ptr<const ProviderSet> providers = providers_->For(*ctx.snapshot);
  const gateway::config::v1::Model& model = *ctx.model;
  const ProviderEntry* entry = providers->Find(model.provider());
  if (entry == nullptr || entry->provider == nullptr) {
    const bool credential = entry != nullptr && entry->credential_missing;
    SetOpenAiError(ctx.response, 502, ErrorType::kApi, "provider_unavailable",
                   credential ? kCredentialUnavailableMessage
                              : "The model's provider is not available on this worker.");
    ctx.usage.status = 502;
    ctx.usage.failed = true;
    co_return;
  }
  const Provider& provider = *entry->provider;
  const std::string& upstream_model =
      model.upstream_model().empty() ? model.name() : model.upstream_model();
  ctx.usage.attempted = true;
  ctx.usage.provider.assign(provider.name().data(), provider.name().size());
  ctx.usage.upstream_model = upstream_model;

  RequestPlan plan;
  const absl::string_view body = ctx.request->body();
  if (absl::Status planned =
          provider.Plan(api_, body, ctx.facts.scan, upstream_model, ctx.request_id, plan);
      !planned.ok()) {
    SetOpenAiError(ctx.response, 400, ErrorType::kInvalidRequest, "",
                   absl::string_view(planned.message()));
    ctx.usage.status = 400;
    ctx.usage.failed = true;
    co_return;
  }
  UpstreamClient* client =
      ThreadUpstreamClient(co_await asio::this_coro::executor, client_options_);
  if (client == nullptr) {
    SetOpenAiError(ctx.response, 502, ErrorType::kApi, "provider_unavailable",
                   "The gateway cannot reach providers from this worker.");
    ctx.usage.status = 502;
    ctx.usage.failed = true;
    co_return;
  }
  UpstreamCall call(*client);
  if (plan.stream && ctx.client_stream != nullptr) {
    co_await Streamed(ctx, provider, call, plan);
  } else {
    // Aliases the provider set, which owns the provider.
    co_await Buffered(ctx, std::shared_ptr<const Provider>(providers, &provider), call, plan);
  }
}

asio::awaitable<void> UpstreamHandler::Buffered(RequestContext& ctx,
                                                std::shared_ptr<const Provider> provider_ref,
                                                UpstreamCall& call, const RequestPlan& plan) const {
  const Provider& provider = *provider_ref;
  std::string& body = ctx.response.body;
  body.clear();
  // A client that hangs up while the provider works cancels the call (and its cost), as for
  // streams; a pipelined next request stays for the session.
  const CancelWhenClientGone watch(co_await asio::this_coro::executor, ctx.client_stream, call);
  const absl::StatusOr<ResponseHead> head = co_await call.Send(plan.ToUpstreamRequest());
  const absl::Time head_received = absl::Now();
  absl::Status read;
  if (head.ok()) read = co_await call.ReadAll(body);
  if (watch.gone()) {
    body.clear();
    SetClientGone(ctx);
    co_return;
  }
  if (head.ok()) ctx.usage.time_to_first_byte = head_received - ctx.received_at;
  if (SetHeadError(ctx, provider, head, body)) co_return;
  if (!read.ok()) {
    spdlog::warn("response of provider {} failed: {}", Std(provider.name()), read.ToString());
    SetProviderError(ctx, provider.MapFailure(read));
    co_return;
  }
  ctx.response.status = static_cast<unsigned>(head->status);
  ctx.response.content_type = kJsonContentType;
  ctx.usage.status = ctx.response.status;
  ctx.usage.deferred_usage_reader = std::move(provider_ref);
  ctx.usage.deferred_usage_api = api_;
}

asio::awaitable<void> UpstreamHandler::Streamed(RequestContext& ctx, const Provider& provider,
                                                UpstreamCall& call, const RequestPlan& plan) const {
  ctx.usage.streamed = true;
  ClientStream& client = *ctx.client_stream;
  // A client that gives up, before the model answers or while it streams, cancels the call.
  // Nothing goes to the client before the first piece of the body, so a provider that stalls
  // before it still gets a plain 504 rather than a stream that breaks.
  const CancelWhenClientGone watch(co_await asio::this_coro::executor, &client, call);
  const absl::StatusOr<ResponseHead> head = co_await call.Send(plan.ToUpstreamRequest());
  std::string error_body;
  absl::StatusOr<absl::string_view> first = NotYetSet();
  if (head.ok() && head->status >= 400) {
    (void)co_await call.ReadAll(error_body);
  } else if (head.ok()) {
    first = co_await call.ReadBody();
  }
  if (watch.gone()) {
    SetClientGone(ctx);
    co_return;
  }
  if (SetHeadError(ctx, provider, head, error_body)) co_return;
  if (!first.ok()) {
    spdlog::warn("stream of provider {} failed: {}", Std(provider.name()),
                 first.status().ToString());
    SetProviderError(ctx, provider.MapFailure(first.status()));
    co_return;
  }
  ctx.usage.time_to_first_byte = absl::Now() - ctx.received_at;
  ctx.usage.status = 200;
  if (!co_await client.Begin(200, kEventStreamContentType)) {
    call.Cancel();
    ctx.usage.status = 499;
    co_return;
  }
  StreamState state;
  state.client_wants_usage = plan.client_wants_usage;
  StreamOutcome outcome;
  co_await PumpStream(provider, call, client, *first, state, outcome);
  ctx.usage.tokens = state.usage;
  ctx.usage.streamed_content_deltas = state.content_deltas;
  if (outcome.client_gone) {
    call.Cancel();
    SetClientGone(ctx);
  } else if (outcome.failure || state.saw_error) {
    ctx.usage.failed = true;
  }
}

}  // namespace gw::dp
