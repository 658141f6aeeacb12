#include "data_plane/grpc/inference_service.h"

#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "data_plane/grpc/chunk_stream_bridge.h"
#include "data_plane/grpc/client_gone_signal.h"
#include "data_plane/grpc/grpc_status_mapping.h"
#include "data_plane/grpc/inference_translation.h"
#include "data_plane/grpc/pipeline_call.h"
#include "data_plane/grpc/unary_client_watch.h"
#include "data_plane/http/request_id.h"

namespace gw::dp {
namespace {

namespace asio = boost::asio;
namespace inference = gateway::inference::v1;
using boost::beast::http::verb;

absl::string_view MetadataValue(const grpc::CallbackServerContext& context,
                                absl::string_view name) {
  const auto& metadata = context.client_metadata();
  const auto it = metadata.find(grpc::string_ref(name.data(), name.size()));
  if (it == metadata.end()) return {};
  return absl::string_view(it->second.data(), it->second.size());
}

// The client's x-request-id when CONTRACTS.md accepts it, else a new one; sent back in the
// initial metadata as HTTP sends it back in a header.
std::string RequestIdForCall(grpc::CallbackServerContext& context) {
  const absl::string_view sent = MetadataValue(context, "x-request-id");
  std::string id;
  if (IsValidRequestId(sent)) {
    id.assign(sent.data(), sent.size());
  } else {
    thread_local RequestIdGenerator generator;
    RequestIdGenerator::Buffer buffer;
    const absl::string_view generated = generator.Next(buffer);
    id.assign(generated.data(), generated.size());
  }
  context.AddInitialMetadata("x-request-id", id);
  return id;
}

PipelineRequest RequestFor(grpc::CallbackServerContext& context, verb method, std::string path,
                           std::string body) {
  PipelineRequest request;
  request.method = method;
  request.path = std::move(path);
  request.body = std::move(body);
  const absl::string_view authorization = MetadataValue(context, "authorization");
  request.authorization.assign(authorization.data(), authorization.size());
  const absl::string_view api_key = MetadataValue(context, "x-api-key");
  request.api_key.assign(api_key.data(), api_key.size());
  request.request_id = RequestIdForCall(context);
  return request;
}

// Headers the pipeline added (Retry-After, x-ratelimit-*) travel as trailing metadata.
void AddResponseHeadersAsTrailers(const Response& response, grpc::CallbackServerContext& context) {
  for (absl::string_view line : absl::StrSplit(response.extra_headers, "\r\n", absl::SkipEmpty())) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    context.AddTrailingMetadata(absl::AsciiStrToLower(line.substr(0, colon)),
                                std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  }
}

// Turns a finished pipeline's response into the reply message or an error status.
using FillReply = std::function<grpc::Status(const RequestContext& ctx)>;

// A request the translation refused (a NaN temperature, base64 embeddings) still goes through the
// pipeline, with an empty body, so that the checks before the body's (the key) answer first, as
// over HTTP; the parse stage's 400 then carries the translation's message.
std::string BodyOrEmpty(const absl::StatusOr<std::string>& body) {
  return body.ok() ? *body : std::string();
}

grpc::Status WithTranslationRefusal(const absl::StatusOr<std::string>& body, unsigned http_status,
                                    grpc::Status status) {
  if (body.ok() || http_status != 400) return status;
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(body.status().message()));
}

template <typename Reply>
FillReply FillFrom(Reply* reply, absl::StatusOr<Reply> (*parse)(absl::string_view),
                   absl::StatusOr<std::string> body) {
  return [reply, parse, body = std::move(body)](const RequestContext& ctx) {
    if (ctx.response.status >= 300) {
      return WithTranslationRefusal(
          body, ctx.response.status,
          GrpcStatusFromHttpError(ctx.response.status, ctx.response.body));
    }
    absl::StatusOr<Reply> parsed = parse(ctx.response.body);
    if (!parsed.ok()) {
      return grpc::Status(grpc::StatusCode::INTERNAL, std::string(parsed.status().message()));
    }
    *reply = *std::move(parsed);
    return grpc::Status::OK;
  };
}

// A unary call. Finishes once, whichever comes first: the pipeline's answer, or the client's
// cancel, which also tells the pipeline (its handler may stop the provider call). The state both
// sides reach is shared, since OnDone deletes the reactor.
class UnaryCallReactor final : public grpc::ServerUnaryReactor {
 public:
  struct Completion {
    std::mutex mutex;
    bool finished = false;
    UnaryCallReactor* reactor = nullptr;
    grpc::CallbackServerContext* context = nullptr;
    std::shared_ptr<ClientGoneSignal> client_gone;  // Set before the reactor is returned.

    template <typename MakeStatus>
    void FinishWith(MakeStatus make_status) {
      std::lock_guard<std::mutex> lock(mutex);
      if (finished) return;
      finished = true;
      reactor->Finish(make_status());
    }
  };

  explicit UnaryCallReactor(grpc::CallbackServerContext* context)
      : completion_(std::make_shared<Completion>()) {
    completion_->reactor = this;
    completion_->context = context;
  }

  void Run(const InferenceServiceOptions& options, PipelineRequest request, FillReply fill) {
    const asio::any_io_executor executor = options.pick_executor();
    completion_->client_gone = std::make_shared<ClientGoneSignal>(executor);
    auto watch = std::make_shared<UnaryClientWatch>(completion_->client_gone);
    auto call = std::make_shared<PipelineCall>(*options.router, *options.snapshots,
                                               options.max_body_bytes, std::move(request));
    call->Start(
        executor, watch.get(),
        [completion = completion_, watch, fill = std::move(fill)](const RequestContext& ctx) {
          completion->FinishWith([&] {
            AddResponseHeadersAsTrailers(ctx.response, *completion->context);
            return fill(ctx);
          });
        });
  }

  void OnCancel() override {
    const std::shared_ptr<Completion> completion = completion_;
    completion->client_gone->Notify();
    completion->FinishWith(
        [] { return grpc::Status(grpc::StatusCode::CANCELLED, "the call was cancelled"); });
  }
  void OnDone() override { delete this; }

 private:
  std::shared_ptr<Completion> completion_;
};

template <typename Reply>
grpc::ServerUnaryReactor* StartUnary(const InferenceServiceOptions& options,
                                     grpc::CallbackServerContext* context, verb method,
                                     std::string path, absl::StatusOr<std::string> body,
                                     Reply* reply,
                                     absl::StatusOr<Reply> (*parse)(absl::string_view)) {
  auto* reactor = new UnaryCallReactor(context);
  PipelineRequest request = RequestFor(*context, method, std::move(path), BodyOrEmpty(body));
  reactor->Run(options, std::move(request), FillFrom(reply, parse, std::move(body)));
  return reactor;
}

// StreamChatCompletion: the bridge turns the pipeline's events into messages; the reactor
// finishes once the pipeline has, with the status the bridge saw.
class StreamCallReactor final : public grpc::ServerWriteReactor<inference::ChatCompletionChunk>,
                                public ChunkSink {
 public:
  StreamCallReactor(const InferenceServiceOptions& options, grpc::CallbackServerContext* context,
                    absl::StatusOr<std::string> body)
      : context_(context) {
    const asio::any_io_executor executor = options.pick_executor();
    bridge_ = std::make_shared<ChunkStreamBridge>(executor, *this);
    auto call = std::make_shared<PipelineCall>(
        *options.router, *options.snapshots, options.max_body_bytes,
        RequestFor(*context, verb::post, "/v1/chat/completions", BodyOrEmpty(body)));
    call->Start(executor, bridge_.get(),
                [this, bridge = bridge_, body = std::move(body)](const RequestContext& ctx) {
                  // The reactor lives until Finish: OnDone comes after it.
                  if (bridge->started()) {
                    Finish(bridge->FinalStatus(ctx.response));
                    return;
                  }
                  AddResponseHeadersAsTrailers(ctx.response, *context_);
                  Finish(WithTranslationRefusal(body, ctx.response.status,
                                                bridge->FinalStatus(ctx.response)));
                });
  }

  void StartChunkWrite(const inference::ChatCompletionChunk* chunk) override { StartWrite(chunk); }
  void OnWriteDone(bool ok) override { bridge_->OnWriteDone(ok); }
  void OnCancel() override { bridge_->OnClientGone(); }
  void OnDone() override { delete this; }

 private:
  grpc::CallbackServerContext* context_;
  std::shared_ptr<ChunkStreamBridge> bridge_;
};

}  // namespace

InferenceService::InferenceService(InferenceServiceOptions options)
    : options_(std::move(options)) {}

grpc::ServerUnaryReactor* InferenceService::CreateChatCompletion(
    grpc::CallbackServerContext* context, const inference::ChatCompletionRequest* request,
    inference::ChatCompletion* reply) {
  return StartUnary(options_, context, verb::post, "/v1/chat/completions",
                    ChatRequestToJson(*request, /*stream=*/false), reply, &ChatCompletionFromJson);
}

grpc::ServerWriteReactor<inference::ChatCompletionChunk>* InferenceService::StreamChatCompletion(
    grpc::CallbackServerContext* context, const inference::ChatCompletionRequest* request) {
  return new StreamCallReactor(options_, context, ChatRequestToJson(*request, /*stream=*/true));
}

grpc::ServerUnaryReactor* InferenceService::CreateEmbedding(
    grpc::CallbackServerContext* context, const inference::EmbeddingRequest* request,
    inference::EmbeddingResponse* reply) {
  return StartUnary(options_, context, verb::post, "/v1/embeddings",
                    EmbeddingRequestToJson(*request), reply, &EmbeddingResponseFromJson);
}

grpc::ServerUnaryReactor* InferenceService::ListModels(
    grpc::CallbackServerContext* context, const inference::ListModelsRequest* /*request*/,
    inference::ListModelsResponse* reply) {
  return StartUnary(options_, context, verb::get, "/v1/models", std::string(), reply,
                    &ListModelsFromJson);
}

}  // namespace gw::dp
