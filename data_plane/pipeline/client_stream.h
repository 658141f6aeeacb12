// A response written to the client piece by piece as it is produced (server-sent events), for
// handlers that stream. The session implements it on the client connection with chunked
// transfer encoding; each Write is sent at once (no batching).
//   if (!co_await ctx.client_stream->Begin(200, "text/event-stream")) co_return;
//   co_await ctx.client_stream->Write("data: {...}\n\n");
//   co_await ctx.client_stream->End();
// While a handler waits on a provider (buffered or streaming, before Begin too), it watches the
// client: WatchClient's listener hears when the client goes away, so the handler can stop the
// upstream call; a plain callback, no coroutine group.
//   ctx.client_stream->WatchClient(listener);  ...  ctx.client_stream->StopWatchingClient();
#pragma once

#include "absl/strings/string_view.h"
#include "boost/asio/awaitable.hpp"

namespace gw::dp {

// Told (on the client's thread) that the client closed or reset its connection.
class ClientGoneListener {
 public:
  virtual void OnClientGone() = 0;

 protected:
  ~ClientGoneListener() = default;
};

class ClientStream {
 public:
  virtual ~ClientStream() = default;
  // Commits to the status line and headers (x-request-id included). The session sends them with
  // the first piece of the body (or with End), so the client gets the head and the first event
  // in one segment. `content_type` must point to static storage. False when the client is gone.
  virtual boost::asio::awaitable<bool> Begin(unsigned status, absl::string_view content_type) = 0;
  // One piece of the body; false when the client is gone.
  virtual boost::asio::awaitable<bool> Write(absl::string_view data) = 0;
  // Ends the body. `clean` false: the stream ended on an error, the connection is closed after.
  virtual boost::asio::awaitable<bool> End(bool clean) = 0;
  // Until StopWatchingClient(), calls `listener` at most once (never from inside this call) if
  // the client goes away, or already has; the listener must outlive StopWatchingClient.
  virtual void WatchClient(ClientGoneListener& listener) = 0;
  virtual void StopWatchingClient() = 0;
  virtual bool started() const = 0;
};

}  // namespace gw::dp
