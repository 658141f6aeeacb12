// The worker's HTTP/1.1 listener: one thread per core, each with its own io_context and its own
// SO_REUSEPORT acceptor on the same port, so the kernel spreads connections over the threads and
// a connection never leaves the thread that accepted it.
//   HttpServer server({.listen = "127.0.0.1:0"}, *router, store);
//   GW_RETURN_IF_ERROR(server.Start());   // server.address() has the bound port
//   server.Stop(absl::Seconds(10));        // stop accepting, drain, join
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "boost/asio/any_io_executor.hpp"
#include "data_plane/config/snapshot_store.h"
#include "data_plane/server/http_session.h"
#include "data_plane/server/router.h"

namespace gw::dp {

struct HttpServerOptions {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free port.
  int threads = 0;                        // 0: one per hardware thread.
  SessionLimits limits;
};

class HttpServer {
 public:
  // `router` and `snapshots` must outlive the server.
  HttpServer(HttpServerOptions options, const Router& router, const SnapshotStore& snapshots);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds every thread's acceptor and starts serving. FAILED_PRECONDITION when the address is in
  // use (also by another process that set SO_REUSEPORT), INVALID_ARGUMENT for a bad address.
  absl::Status Start();

  // host:port with the bound port; valid after Start().
  const std::string& address() const { return address_; }
  uint16_t port() const { return port_; }

  // One I/O thread's executor, round robin, for requests that arrive another way (the gRPC API)
  // and must run where upstream clients live. Valid from Start() until Stop() begins.
  boost::asio::any_io_executor NextExecutor();

  // Stops accepting, lets requests in flight finish for up to `drain`, then closes every
  // connection and joins the threads. Idempotent.
  void Stop(absl::Duration drain);

 private:
  struct IoThread;

  HttpServerOptions options_;
  const Router& router_;
  const SnapshotStore& snapshots_;
  std::vector<std::unique_ptr<IoThread>> threads_;
  std::string address_;
  uint16_t port_ = 0;
  bool running_ = false;
  std::atomic<size_t> next_executor_{0};
};

}  // namespace gw::dp
