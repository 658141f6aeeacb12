// The fake provider's listeners: one io_context and one acceptor per thread on the same port
// (SO_REUSEPORT lets the kernel spread connections), each connection served by a coroutine on
// the thread that accepted it.
//   GW_ASSIGN_OR_RETURN(auto server, FakeProviderServer::Start(listen, state));
//   LOG("listening http on {}", server->address());  ...  server->Stop();
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ssl/context.hpp"
#include "tests/fakes/fake_state.h"

namespace gw::testing {

struct ListenOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: the kernel picks one, shared by every thread's acceptor
  int threads = 1;
  // Serve HTTPS with this context when set.
  std::shared_ptr<boost::asio::ssl::context> tls;
};

class FakeProviderServer {
 public:
  static absl::StatusOr<std::unique_ptr<FakeProviderServer>> Start(const ListenOptions& options,
                                                                   FakeProviderState& state);
  ~FakeProviderServer();
  FakeProviderServer(const FakeProviderServer&) = delete;
  FakeProviderServer& operator=(const FakeProviderServer&) = delete;

  // "127.0.0.1:43121" with the bound port.
  std::string address() const;
  // Stops every thread (open connections are dropped) and joins them.
  void Stop();

 private:
  FakeProviderServer() = default;

  struct Worker {
    boost::asio::io_context context{1};
    std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor;
  };

  std::shared_ptr<boost::asio::ssl::context> tls_;
  boost::asio::ip::tcp::endpoint endpoint_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
};

}  // namespace gw::testing
