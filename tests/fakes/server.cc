#include "tests/fakes/server.h"

#include <sys/socket.h>

#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "boost/asio/as_tuple.hpp"
#include "boost/asio/co_spawn.hpp"
#include "boost/asio/detail/socket_option.hpp"
#include "boost/asio/use_awaitable.hpp"
#include "spdlog/spdlog.h"
#include "tests/fakes/session.h"

namespace gw::testing {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

void LogIfThrew(const std::exception_ptr& error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    spdlog::error("connection ended by exception: {}", e.what());
  }
}

asio::awaitable<void> AcceptLoop(tcp::acceptor& acceptor, FakeProviderState& state,
                                 asio::ssl::context* tls) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      spdlog::warn("accept failed: {}", ec.message());
      continue;
    }
    const auto executor = acceptor.get_executor();
    if (tls != nullptr) {
      asio::co_spawn(executor, ServeTlsConnection(std::move(socket), *tls, state), LogIfThrew);
    } else {
      asio::co_spawn(executor, ServeConnection(std::move(socket), state), LogIfThrew);
    }
  }
}

absl::Status Listen(tcp::acceptor& acceptor, const tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.set_option(ReusePort(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", endpoint.address().to_string(),
                                               ":", endpoint.port(), ": ", ec.message()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<FakeProviderServer>> FakeProviderServer::Start(
    const ListenOptions& options, FakeProviderState& state) {
  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(options.host, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("bad listen host '", options.host, "'"));
  if (options.threads < 1) return absl::InvalidArgumentError("--threads must be at least 1");

  std::unique_ptr<FakeProviderServer> server(new FakeProviderServer());
  server->tls_ = options.tls;
  tcp::endpoint endpoint(address, options.port);
  for (int i = 0; i < options.threads; ++i) {
    auto worker = std::make_unique<Worker>();
    worker->acceptor = std::make_unique<tcp::acceptor>(worker->context);
    if (absl::Status s = Listen(*worker->acceptor, endpoint); !s.ok()) return s;
    // Later acceptors join the port the first one got.
    endpoint = worker->acceptor->local_endpoint();
    server->workers_.push_back(std::move(worker));
  }
  server->endpoint_ = endpoint;
  for (auto& worker : server->workers_) {
    asio::co_spawn(worker->context, AcceptLoop(*worker->acceptor, state, server->tls_.get()),
                   LogIfThrew);
    server->threads_.emplace_back([context = &worker->context] { context->run(); });
  }
  return server;
}

FakeProviderServer::~FakeProviderServer() { Stop(); }

std::string FakeProviderServer::address() const {
  const std::string host = endpoint_.address().to_string();
  return endpoint_.address().is_v6() ? absl::StrCat("[", host, "]:", endpoint_.port())
                                     : absl::StrCat(host, ":", endpoint_.port());
}

void FakeProviderServer::Stop() {
  for (auto& worker : workers_) worker->context.stop();
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

}  // namespace gw::testing
