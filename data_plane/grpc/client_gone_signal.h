// "The gRPC client went away", carried from gRPC's threads (a reactor's OnCancel) to the
// coroutine serving the call on an I/O thread, where the pipeline's WaitForClientGone awaits it.
//   auto gone = std::make_shared<ClientGoneSignal>(executor);
//   reactor OnCancel():  gone->Notify();               // any thread
//   ClientStream::WaitForClientGone():  co_await gone->Wait();
#pragma once

#include <memory>

#include "boost/asio/any_io_executor.hpp"
#include "boost/asio/awaitable.hpp"
#include "boost/asio/steady_timer.hpp"

namespace gw::dp {

class ClientGoneSignal : public std::enable_shared_from_this<ClientGoneSignal> {
 public:
  explicit ClientGoneSignal(boost::asio::any_io_executor executor);

  // Thread-safe; idempotent. Takes effect on the executor.
  void Notify();

  // Only on the executor.
  bool gone() const { return gone_; }

  // Completes once the client is gone, or early when the awaiting operation is cancelled (as the
  // loser of an `||`). Only on the executor; one waiter at a time.
  boost::asio::awaitable<void> Wait();

 private:
  boost::asio::any_io_executor executor_;
  boost::asio::steady_timer wake_;  // Cancelled by Notify to wake the waiter.
  bool gone_ = false;
};

}  // namespace gw::dp
