#include "data_plane/grpc/client_gone_signal.h"

#include <chrono>

#include "boost/asio/as_tuple.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/this_coro.hpp"
#include "boost/asio/use_awaitable.hpp"

namespace gw::dp {
namespace asio = boost::asio;

ClientGoneSignal::ClientGoneSignal(asio::any_io_executor executor)
    : executor_(executor), wake_(executor, std::chrono::steady_clock::time_point::max()) {}

void ClientGoneSignal::Notify() {
  asio::post(executor_, [self = shared_from_this()] {
    if (self->gone_) return;
    self->gone_ = true;
    self->wake_.cancel();
  });
}

asio::awaitable<void> ClientGoneSignal::Wait() {
  while (!gone_) {
    co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
    // Woken either by Notify or by the caller cancelling this wait.
    const asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none) co_return;
  }
}

}  // namespace gw::dp
