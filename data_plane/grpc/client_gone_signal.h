// "The gRPC client went away", carried from gRPC's threads (a reactor's OnCancel) to the
// coroutine serving the call on an I/O thread, where the pipeline's client watch hears it.
//   auto gone = std::make_shared<ClientGoneSignal>(executor);
//   reactor OnCancel():  gone->Notify();               // any thread
//   ClientStream::WatchClient(listener):  gone->Watch(listener);
#pragma once

#include <memory>

#include "boost/asio/any_io_executor.hpp"
#include "data_plane/pipeline/client_stream.h"

namespace gw::dp {

class ClientGoneSignal : public std::enable_shared_from_this<ClientGoneSignal> {
 public:
  explicit ClientGoneSignal(boost::asio::any_io_executor executor);

  // Thread-safe; idempotent. Takes effect on the executor.
  void Notify();

  // The rest only on the executor.
  bool gone() const { return gone_; }

  // Until StopWatching, tells `listener` (once, on the executor, never from inside this call)
  // that the client is gone, also when it already was. One listener at a time.
  void Watch(ClientGoneListener& listener);
  void StopWatching();

 private:
  void TellListener();

  boost::asio::any_io_executor executor_;
  bool gone_ = false;
  ClientGoneListener* listener_ = nullptr;  // Null while nobody watches.
};

}  // namespace gw::dp
