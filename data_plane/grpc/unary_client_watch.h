// The pipeline's ClientStream for unary gRPC calls: nothing is ever streamed (answers are
// buffered into the reply message), but its client watch hears the client cancel, so a handler
// that watches the client stops the provider call, as it does for HTTP.
//   UnaryClientWatch watch(std::make_shared<ClientGoneSignal>(executor));
//   ctx.client_stream = &watch;   reactor OnCancel() -> watch.signal().Notify();
#pragma once

#include <memory>
#include <utility>

#include "absl/strings/string_view.h"
#include "boost/asio/awaitable.hpp"
#include "data_plane/grpc/client_gone_signal.h"
#include "data_plane/pipeline/client_stream.h"

namespace gw::dp {

class UnaryClientWatch final : public ClientStream {
 public:
  explicit UnaryClientWatch(std::shared_ptr<ClientGoneSignal> gone) : gone_(std::move(gone)) {}

  // A unary reply cannot stream: a handler that tries is told the client is not there.
  boost::asio::awaitable<bool> Begin(unsigned /*status*/,
                                     absl::string_view /*content_type*/) override {
    co_return false;
  }
  boost::asio::awaitable<bool> Write(absl::string_view /*data*/) override { co_return false; }
  boost::asio::awaitable<bool> End(bool /*clean*/) override { co_return false; }
  void WatchClient(ClientGoneListener& listener) override { gone_->Watch(listener); }
  void StopWatchingClient() override { gone_->StopWatching(); }
  bool started() const override { return false; }

  ClientGoneSignal& signal() { return *gone_; }

 private:
  std::shared_ptr<ClientGoneSignal> gone_;
};

}  // namespace gw::dp
