// One client connection: reads HTTP/1.1 requests one after another (keep-alive), runs each
// through the pipeline its route names, and writes the response. Sessions live on the thread
// that accepted them and touch only that thread's state, so nothing on this path takes a lock.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <memory_resource>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "boost/asio/awaitable.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/http/parser.hpp"
#include "boost/beast/http/string_body.hpp"
#include "boost/intrusive/list.hpp"
#include "data_plane/config/snapshot_store.h"
#include "data_plane/http/request_id.h"
#include "data_plane/pipeline/client_stream.h"
#include "data_plane/pipeline/request_context.h"
#include "data_plane/server/router.h"

namespace gw::dp {

struct SessionLimits {
  uint64_t max_body_bytes = 32 * 1024 * 1024;
  uint32_t max_header_bytes = 64 * 1024;
  // A connection that sends nothing (or reads nothing) for this long is closed. Checked by a
  // once-a-second sweep rather than a timer per read: arming and cancelling a timer on every
  // operation costs more than the rest of a small request.
  absl::Duration idle_timeout = absl::Seconds(60);
};

struct SessionEnv;

class HttpSession final : public boost::intrusive::list_base_hook<
                              boost::intrusive::link_mode<boost::intrusive::auto_unlink>>,
                          public ClientStream {
 public:
  HttpSession(SessionEnv& env, boost::asio::ip::tcp::socket socket);
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  boost::asio::awaitable<void> Run();

  // Shutdown: an idle connection closes now, a busy one after its current response.
  void CloseWhenIdle();
  // Drain deadline passed: close regardless.
  void CloseNow();
  // The idle sweep: closes the connection when a read or write has waited past its deadline.
  void CloseIfExpired(std::chrono::steady_clock::time_point now);

  // ClientStream: a streamed response in chunked transfer encoding (close-delimited for HTTP/1.0
  // clients). A stream that did not end cleanly closes the connection after it.
  boost::asio::awaitable<bool> Begin(unsigned status, absl::string_view content_type) override;
  boost::asio::awaitable<bool> Write(absl::string_view data) override;
  boost::asio::awaitable<bool> End(bool clean) override;
  // A peek kept pending on the client socket, which consumes no byte: it tells a close from a
  // pipelined request, which stays for the next round and ends the watch. Once it saw the client
  // go, the session writes no response and closes the connection.
  void WatchClient(ClientGoneListener& listener) override;
  void StopWatchingClient() override;
  bool started() const override { return stream_started_; }

 private:
  // Up to three pieces of a stream's body (a chunk's size line, data and CRLF, or the last
  // chunk), written at once after the stream's head when that has not gone out yet.
  boost::asio::awaitable<bool> WriteStreamParts(boost::asio::const_buffer first = {},
                                                boost::asio::const_buffer second = {},
                                                boost::asio::const_buffer third = {});
  // Whether the session waits for a request of which no byte has arrived.
  bool Idle() const;
  // Header, then (after a 100 Continue when the client expects one) the body.
  boost::asio::awaitable<boost::system::error_code> ReadRequest();
  // Feeds the parser what the buffer already holds; need_more is no error here.
  boost::system::error_code ParseBuffered();
  boost::asio::awaitable<bool> WriteResponse(bool keep_alive, bool head_only);
  // The pipeline's responder: writes the response unless it was streamed or nobody is left to
  // read it. Clears `keep_alive` when draining began meanwhile.
  boost::asio::awaitable<bool> Answer(bool& keep_alive, bool head_only);
  boost::asio::awaitable<void> LingeringClose();
  void AssignRequestId();
  void ArmIdleDeadline(absl::Duration timeout);
  // Who WatchClient tells; shared with the pending wait's handler, which may run after the
  // session is gone and then must touch nothing else.
  struct ClientWatch {
    ClientGoneListener* listener = nullptr;  // Null once stopped or fired.
    char peeked = 0;                         // Where the peek puts a byte it sees.
  };
  void ArmClientWatch(std::shared_ptr<ClientWatch> watch);

  SessionEnv& env_;
  boost::asio::ip::tcp::socket socket_;
  // When the pending read or write gives up; max() while the pipeline works on a request.
  std::chrono::steady_clock::time_point expires_at_ = std::chrono::steady_clock::time_point::max();
  boost::beast::flat_buffer buffer_;
  // The arena's first block lives in the session; requests with larger headers spill to the heap
  // until the arena is released for the next request.
  std::array<std::byte, 8 * 1024> arena_buffer_;
  std::pmr::monotonic_buffer_resource arena_{arena_buffer_.data(), arena_buffer_.size(),
                                             std::pmr::new_delete_resource()};
  std::optional<
      boost::beast::http::request_parser<boost::beast::http::string_body, RequestFieldAllocator>>
      parser_;
  RequestContext ctx_;
  std::string head_;  // The serialized status line and headers, reused between responses.
  bool reading_ = false;
  // The current response is streamed (the pipeline wrote it through ClientStream).
  bool stream_started_ = false;
  bool stream_head_pending_ = false;  // head_ holds the stream's head, not sent yet.
  bool stream_chunked_ = true;
  bool stream_ended_clean_ = false;
  bool stream_write_failed_ = false;
  // The client watch saw the connection end (EOF or reset) during the current request.
  bool client_gone_ = false;
  std::shared_ptr<ClientWatch> client_watch_;  // Made on the first WatchClient.
};

using SessionList =
    boost::intrusive::list<HttpSession, boost::intrusive::constant_time_size<false>>;

// What every session of one server thread shares; owned by that thread.
struct SessionEnv {
  SessionEnv(const Router& router_in, const SnapshotStore& store, SessionLimits limits_in)
      : router(router_in), snapshots(store.slot()), limits(limits_in) {}

  const Router& router;
  SnapshotStore::Reader snapshots;
  RequestIdGenerator request_ids;
  SessionLimits limits;
  SessionList sessions;  // Every open session of the thread, for draining and idle sweeps.
  // A clock refreshed by the idle sweep once a second: precise enough for idle deadlines, and
  // free to read on every request.
  std::chrono::steady_clock::time_point coarse_now = std::chrono::steady_clock::now();
  bool draining = false;  // Set once by the server's shutdown.
};

}  // namespace gw::dp
