// One client connection of the fake provider: reads HTTP/1.1 requests (keep-alive), answers them
// through HandleRequest, and injects the reply's faults (delays, stalls, resets, truncation,
// paced streaming) while watching the socket so a client that goes away is noticed at once.
//   co_spawn(executor, ServeConnection(std::move(socket), state), detached);
#pragma once

#include "boost/asio/awaitable.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ssl/context.hpp"
#include "tests/fakes/fake_state.h"

namespace gw::testing {

boost::asio::awaitable<void> ServeConnection(boost::asio::ip::tcp::socket socket,
                                             FakeProviderState& state);

// TLS handshake first, then the same as ServeConnection.
boost::asio::awaitable<void> ServeTlsConnection(boost::asio::ip::tcp::socket socket,
                                                boost::asio::ssl::context& tls,
                                                FakeProviderState& state);

}  // namespace gw::testing
