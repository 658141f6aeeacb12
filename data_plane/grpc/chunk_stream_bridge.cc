#include "data_plane/grpc/chunk_stream_bridge.h"

#include <chrono>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
#include "boost/asio/as_tuple.hpp"
#include "boost/asio/bind_cancellation_slot.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/use_awaitable.hpp"
#include "boost/json/parse.hpp"
#include "boost/json/value.hpp"
#include "data_plane/grpc/grpc_status_mapping.h"
#include "data_plane/grpc/inference_translation.h"
#include "data_plane/providers/text_search.h"

namespace gw::dp {
namespace asio = boost::asio;
namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// `{"error": {...}}`, as the gateway (or a provider) ends a failed stream.
bool IsErrorEvent(absl::string_view data) {
  if (FindText(data, "\"error\"") == absl::string_view::npos) return false;
  boost::system::error_code error;
  const boost::json::value value =
      boost::json::parse(std::string_view(data.data(), data.size()), error);
  return !error && value.is_object() && value.get_object().contains("error");
}

}  // namespace

ChunkStreamBridge::ChunkStreamBridge(asio::any_io_executor executor, ChunkSink& sink)
    : executor_(executor),
      sink_(sink),
      client_gone_(std::make_shared<ClientGoneSignal>(executor)),
      write_done_timer_(executor, std::chrono::steady_clock::time_point::max()) {}

asio::awaitable<bool> ChunkStreamBridge::Begin(unsigned /*status*/,
                                               absl::string_view /*content_type*/) {
  started_ = true;
  co_return !client_gone_->gone();
}

asio::awaitable<bool> ChunkStreamBridge::Write(absl::string_view data) {
  sse_.Feed(data);
  SseEvent event;
  while (sse_.Next(event)) {
    const absl::string_view payload = absl::StripAsciiWhitespace(event.data);
    if (payload.empty()) continue;
    if (payload == "[DONE]") {
      saw_done_ = true;
      continue;
    }
    if (IsErrorEvent(payload)) {
      failure_ = GrpcStatusFromStreamError(payload);
      continue;
    }
    absl::StatusOr<gateway::inference::v1::ChatCompletionChunk> chunk =
        ChatCompletionChunkFromJson(payload);
    if (!chunk.ok()) {
      failure_ = grpc::Status(grpc::StatusCode::INTERNAL, std::string(chunk.status().message()));
      co_return false;
    }
    message_ = *std::move(chunk);
    if (!co_await Send()) co_return false;
  }
  if (sse_.overflowed()) {
    failure_ = grpc::Status(grpc::StatusCode::INTERNAL, "a stream event is too large");
    co_return false;
  }
  co_return !client_gone_->gone();
}

asio::awaitable<bool> ChunkStreamBridge::End(bool /*clean*/) { co_return !client_gone_->gone(); }

asio::awaitable<bool> ChunkStreamBridge::Send() {
  if (client_gone_->gone()) co_return false;
  write_done_ = false;
  sink_.StartChunkWrite(&message_);
  // The message must stay as it is until gRPC is done with it, even if this wait is cancelled:
  // wait for the completion whatever happens (a cancelled call completes its write at once).
  while (!write_done_) {
    write_done_timer_.expires_at(std::chrono::steady_clock::time_point::max());
    co_await write_done_timer_.async_wait(
        asio::bind_cancellation_slot(asio::cancellation_slot(), kNoThrow));
  }
  co_return write_ok_ && !client_gone_->gone();
}

void ChunkStreamBridge::OnWriteDone(bool ok) {
  asio::post(executor_, [self = shared_from_this(), ok] {
    self->write_done_ = true;
    self->write_ok_ = ok;
    self->write_done_timer_.cancel();
  });
}

void ChunkStreamBridge::OnClientGone() { client_gone_->Notify(); }

grpc::Status ChunkStreamBridge::FinalStatus(const Response& response) const {
  if (failure_) return *failure_;
  if (!started_) {
    if (response.status >= 300) return GrpcStatusFromHttpError(response.status, response.body);
    return grpc::Status(grpc::StatusCode::INTERNAL, "the gateway did not stream the answer");
  }
  if (saw_done_) return grpc::Status::OK;
  if (client_gone_->gone())
    return grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the stream ended before its end marker");
}

}  // namespace gw::dp
