#include "data_plane/server/http_server.h"

#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "boost/asio/as_tuple.hpp"
#include "boost/asio/co_spawn.hpp"
#include "boost/asio/detached.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/use_awaitable.hpp"
#include "common/status_macros.h"
#include "common/thread_role.h"
#include "data_plane/server/listen_address.h"
#include "spdlog/spdlog.h"

namespace gw::dp {
namespace asio = boost::asio;
using asio::ip::tcp;

struct HttpServer::IoThread {
  IoThread(const Router& router, const SnapshotStore& snapshots, SessionLimits limits)
      : env(router, snapshots, limits), io(1), acceptor(io), drain_timer(io), sweep_timer(io) {}

  // Declared first, destroyed last: requests abandoned at the drain deadline are coroutine
  // frames that io's destructor destroys, and their sessions unlink themselves from env.
  SessionEnv env;
  asio::io_context io;  // Concurrency hint 1: only this thread runs it.
  tcp::acceptor acceptor;
  asio::steady_timer drain_timer;
  asio::steady_timer sweep_timer;
  std::thread thread;
};

namespace {

using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

absl::StatusOr<tcp::endpoint> ResolveEndpoint(const ListenAddress& address) {
  boost::system::error_code error;
  const asio::ip::address ip = asio::ip::make_address(address.host, error);
  if (!error) return tcp::endpoint(ip, address.port);
  // Host names ("localhost") resolve once at startup.
  asio::io_context io;
  tcp::resolver resolver(io);
  const auto results = resolver.resolve(address.host, std::to_string(address.port), error);
  if (error || results.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve listen host '", address.host, "': ", error.message()));
  }
  return results.begin()->endpoint();
}

// SO_REUSEPORT would let this worker silently share a port with another process of the same
// user; a plain bind first makes that a startup error instead.
absl::Status CheckPortFree(const tcp::endpoint& endpoint) {
  asio::io_context io;
  tcp::acceptor probe(io);
  boost::system::error_code error;
  probe.open(endpoint.protocol(), error);
  if (!error) probe.set_option(tcp::acceptor::reuse_address(true), error);
  if (!error) probe.bind(endpoint, error);
  if (!error) probe.listen(1, error);
  if (error) {
    return absl::FailedPreconditionError(absl::StrCat("cannot listen on ",
                                                      endpoint.address().to_string(), ":",
                                                      endpoint.port(), ": ", error.message()));
  }
  return absl::OkStatus();
}

absl::Status OpenAcceptor(tcp::acceptor& acceptor, const tcp::endpoint& endpoint) {
  boost::system::error_code error;
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(tcp::acceptor::reuse_address(true), error);
  if (!error) acceptor.set_option(ReusePort(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return absl::FailedPreconditionError(absl::StrCat("cannot listen on ",
                                                      endpoint.address().to_string(), ":",
                                                      endpoint.port(), ": ", error.message()));
  }
  return absl::OkStatus();
}

asio::awaitable<void> ServeConnection(std::unique_ptr<HttpSession> session, SessionEnv& env,
                                      asio::steady_timer& drain_timer,
                                      asio::steady_timer& sweep_timer) {
  try {
    co_await session->Run();
  } catch (const std::exception& e) {
    spdlog::error("http connection failed: {}", e.what());
  }
  session.reset();
  if (env.draining && env.sessions.empty()) {
    drain_timer.cancel();
    sweep_timer.cancel();
  }
}

// Once a second: refreshes the thread's coarse clock and closes connections idle past their
// deadline. Ends once the server drains and its last session has ended.
asio::awaitable<void> SweepIdleSessions(SessionEnv& env, asio::steady_timer& timer) {
  while (!env.draining || !env.sessions.empty()) {
    timer.expires_after(std::chrono::seconds(1));
    const auto [error] = co_await timer.async_wait(kNoThrow);
    if (error) break;
    env.coarse_now = std::chrono::steady_clock::now();
    for (HttpSession& session : env.sessions) session.CloseIfExpired(env.coarse_now);
  }
}

asio::awaitable<void> AcceptLoop(tcp::acceptor& acceptor, SessionEnv& env,
                                 asio::steady_timer& drain_timer, asio::steady_timer& sweep_timer) {
  asio::steady_timer pause(acceptor.get_executor());
  while (acceptor.is_open()) {
    auto [error, socket] = co_await acceptor.async_accept(kNoThrow);
    if (error) {
      if (error == asio::error::operation_aborted || !acceptor.is_open()) break;
      // Typically out of file descriptors: back off instead of spinning.
      spdlog::warn("accept failed: {}", error.message());
      pause.expires_after(std::chrono::milliseconds(50));
      co_await pause.async_wait(kNoThrow);
      continue;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    asio::co_spawn(acceptor.get_executor(),
                   ServeConnection(std::make_unique<HttpSession>(env, std::move(socket)), env,
                                   drain_timer, sweep_timer),
                   asio::detached);
  }
}

}  // namespace

HttpServer::HttpServer(HttpServerOptions options, const Router& router,
                       const SnapshotStore& snapshots)
    : options_(std::move(options)), router_(router), snapshots_(snapshots) {}

HttpServer::~HttpServer() { Stop(absl::ZeroDuration()); }

absl::Status HttpServer::Start() {
  GW_ASSIGN_OR_RETURN(const ListenAddress listen,
                      ParseListenAddress(options_.listen, "--http-listen"));
  GW_ASSIGN_OR_RETURN(tcp::endpoint endpoint, ResolveEndpoint(listen));
  if (endpoint.port() != 0) GW_RETURN_IF_ERROR(CheckPortFree(endpoint));

  const int count = options_.threads > 0
                        ? options_.threads
                        : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  for (int i = 0; i < count; ++i) {
    auto io_thread = std::make_unique<IoThread>(router_, snapshots_, options_.limits);
    GW_RETURN_IF_ERROR(OpenAcceptor(io_thread->acceptor, endpoint));
    // Port 0: the first acceptor picks the port, the others join it.
    endpoint.port(io_thread->acceptor.local_endpoint().port());
    threads_.push_back(std::move(io_thread));
  }
  port_ = endpoint.port();
  address_ = FormatHostPort(endpoint.address().to_string(), port_);

  for (size_t i = 0; i < threads_.size(); ++i) {
    IoThread* const t = threads_[i].get();
    asio::co_spawn(t->io, AcceptLoop(t->acceptor, t->env, t->drain_timer, t->sweep_timer),
                   asio::detached);
    asio::co_spawn(t->io, SweepIdleSessions(t->env, t->sweep_timer), asio::detached);
    t->thread = std::thread([t, i] {
      SetThreadRole(absl::StrCat("gw-http-", i), ThreadPriority::kServing);
      try {
        t->io.run();
      } catch (const std::exception& e) {
        spdlog::critical("http thread stopped: {}", e.what());
      }
    });
  }
  running_ = true;
  return absl::OkStatus();
}

asio::any_io_executor HttpServer::NextExecutor() {
  const size_t index = next_executor_.fetch_add(1, std::memory_order_relaxed) % threads_.size();
  return threads_[index]->io.get_executor();
}

void HttpServer::Stop(absl::Duration drain) {
  if (!running_) {
    threads_.clear();
    return;
  }
  running_ = false;
  const auto deadline = absl::ToChronoNanoseconds(drain);
  for (auto& t : threads_) {
    asio::post(t->io, [io_thread = t.get(), deadline] {
      IoThread& self = *io_thread;
      self.env.draining = true;
      boost::system::error_code ignored;
      self.acceptor.close(ignored);
      // Closing an idle session unlinks nothing yet (its coroutine ends later), so iterating the
      // list while closing is safe.
      for (HttpSession& session : self.env.sessions) session.CloseWhenIdle();
      // Once drained the loop is stopped rather than left to run out of work: the thread's
      // upstream client (its pooled connections, resolver and timers) lives on, and nothing of
      // it may hold up the stop.
      if (self.env.sessions.empty()) {
        self.sweep_timer.cancel();
        self.io.stop();
        return;
      }
      self.drain_timer.expires_after(deadline);
      self.drain_timer.async_wait([io_thread](const boost::system::error_code& error) {
        // Not cancelled: the deadline passed with sessions left. Requests still waiting (on an
        // upstream, say) are abandoned with their connections.
        if (!error) {
          for (HttpSession& session : io_thread->env.sessions) session.CloseNow();
        }
        io_thread->io.stop();
      });
    });
  }
  for (auto& t : threads_) {
    if (t->thread.joinable()) t->thread.join();
  }
  threads_.clear();
}

}  // namespace gw::dp
