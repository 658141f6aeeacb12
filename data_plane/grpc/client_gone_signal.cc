#include "data_plane/grpc/client_gone_signal.h"

#include <utility>

#include "boost/asio/post.hpp"

namespace gw::dp {
namespace asio = boost::asio;

ClientGoneSignal::ClientGoneSignal(asio::any_io_executor executor)
    : executor_(std::move(executor)) {}

void ClientGoneSignal::Notify() {
  asio::post(executor_, [self = shared_from_this()] {
    if (self->gone_) return;
    self->gone_ = true;
    self->TellListener();
  });
}

void ClientGoneSignal::Watch(ClientGoneListener& listener) {
  listener_ = &listener;
  // The listener typically cancels what its caller is about to start: not from in here. A watch
  // stopped meanwhile is not told; one begun meanwhile is, once, as it should be.
  if (gone_) asio::post(executor_, [self = shared_from_this()] { self->TellListener(); });
}

void ClientGoneSignal::StopWatching() { listener_ = nullptr; }

void ClientGoneSignal::TellListener() {
  if (ClientGoneListener* listener = std::exchange(listener_, nullptr)) listener->OnClientGone();
}

}  // namespace gw::dp
