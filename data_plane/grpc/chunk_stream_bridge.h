// The pipeline's ClientStream for StreamChatCompletion: takes the server-sent events the upstream
// handler writes, turns each chat.completion.chunk into a ChatCompletionChunk message and hands it
// to gRPC one at a time (a Write completes only once gRPC has taken its messages, which is gRPC's
// flow control reaching the provider stream). An error event becomes the call's final status,
// `[DONE]` an OK one. A client that cancels tells the client watch, so the upstream handler cancels
// the provider call.
//   auto bridge = std::make_shared<ChunkStreamBridge>(executor, sink);   // sink: the reactor
//   reactor OnWriteDone(ok) -> bridge->OnWriteDone(ok);  OnCancel() -> bridge->OnClientGone();
//   after the pipeline: reactor->Finish(bridge->FinalStatus(ctx.response));
#pragma once

#include <memory>
#include <optional>

#include "absl/strings/string_view.h"
#include "boost/asio/any_io_executor.hpp"
#include "boost/asio/awaitable.hpp"
#include "boost/asio/steady_timer.hpp"
#include "data_plane/grpc/client_gone_signal.h"
#include "data_plane/http/response.h"
#include "data_plane/pipeline/client_stream.h"
#include "data_plane/providers/sse_parser.h"
#include "gateway/inference/v1/inference.pb.h"
#include "grpcpp/support/status.h"

namespace gw::dp {

// Where the bridge sends messages: the gRPC reactor. The message stays untouched until the
// bridge's OnWriteDone.
class ChunkSink {
 public:
  virtual ~ChunkSink() = default;
  virtual void StartChunkWrite(const gateway::inference::v1::ChatCompletionChunk* chunk) = 0;
};

class ChunkStreamBridge final : public ClientStream,
                                public std::enable_shared_from_this<ChunkStreamBridge> {
 public:
  // `executor` is the pipeline's (one I/O thread); every ClientStream call comes from it.
  ChunkStreamBridge(boost::asio::any_io_executor executor, ChunkSink& sink);

  // ClientStream. Begin only notes the start: gRPC sends its headers with the first message.
  boost::asio::awaitable<bool> Begin(unsigned status, absl::string_view content_type) override;
  boost::asio::awaitable<bool> Write(absl::string_view data) override;
  boost::asio::awaitable<bool> End(bool clean) override;
  void WatchClient(ClientGoneListener& listener) override { client_gone_->Watch(listener); }
  void StopWatchingClient() override { client_gone_->StopWatching(); }
  bool started() const override { return started_; }

  // From gRPC's threads (the reactor's callbacks); both hop to the executor.
  void OnWriteDone(bool ok);
  void OnClientGone();

  // Once the pipeline has finished: OK after [DONE]; the error event's status; the pipeline's
  // error response (mapped) when the stream never started; CANCELLED when the client left.
  grpc::Status FinalStatus(const Response& response) const;

 private:
  // Sends one message and waits until gRPC is done with it; false when the client is gone.
  boost::asio::awaitable<bool> Send();

  boost::asio::any_io_executor executor_;
  ChunkSink& sink_;
  SseParser sse_;
  gateway::inference::v1::ChatCompletionChunk message_;
  std::shared_ptr<ClientGoneSignal> client_gone_;
  // Woken (cancelled) by OnWriteDone; only touched on the executor.
  boost::asio::steady_timer write_done_timer_;
  bool write_done_ = false;
  bool write_ok_ = false;
  bool started_ = false;
  bool saw_done_ = false;
  std::optional<grpc::Status> failure_;
};

}  // namespace gw::dp
