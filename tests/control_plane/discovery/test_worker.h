// A data-plane worker's side of StreamConfig for tests: opens the stream with a token, reads
// every response on a background thread, and lets the test wait for the next one with a deadline.
//   TestWorker w(channel, "worker-token");  w.Subscribe("w1", 0);  auto r = w.Next(kWait);
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gateway/discovery/v1/discovery.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace gw::testing {

class TestWorker {
 public:
  using ConfigRequest = gateway::discovery::v1::ConfigRequest;
  using ConfigResponse = gateway::discovery::v1::ConfigResponse;

  // `token` empty: no authorization metadata at all. With `read` false nothing is read until
  // StartReading(), as a worker too slow to keep up would behave.
  TestWorker(const std::shared_ptr<grpc::Channel>& channel, const std::string& token,
             bool read = true) {
    stub_ = gateway::discovery::v1::ConfigDiscovery::NewStub(channel);
    if (!token.empty()) context_.AddMetadata("authorization", "Bearer " + token);
    // A safety net so that a broken server fails the test instead of hanging it.
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    stream_ = stub_->StreamConfig(&context_);
    if (read) StartReading();
  }

  ~TestWorker() {
    context_.TryCancel();
    if (!reader_.joinable()) StartReading();  // Finish() must still run.
    reader_.join();
  }

  void StartReading() {
    reader_ = std::thread([this] { ReadAll(); });
  }

  bool Send(const ConfigRequest& request) { return stream_->Write(request); }

  bool Subscribe(const std::string& id, int64_t version, const std::string& address = "") {
    ConfigRequest request;
    request.mutable_node()->set_id(id);
    request.mutable_node()->set_address(address);
    request.mutable_node()->set_feature_level(1);
    request.set_version_info(version);
    return Send(request);
  }

  bool Ack(const ConfigResponse& response) {
    ConfigRequest request;
    request.set_version_info(response.version_info());
    request.set_response_nonce(response.nonce());
    return Send(request);
  }

  bool Nack(const ConfigResponse& response, int64_t still_on, const std::string& message) {
    ConfigRequest request;
    request.set_version_info(still_on);
    request.set_response_nonce(response.nonce());
    request.mutable_error_detail()->set_code(3);  // INVALID_ARGUMENT
    request.mutable_error_detail()->set_message(message);
    return Send(request);
  }

  // The next response, or nullopt when none arrives within `timeout` or the stream ended.
  std::optional<ConfigResponse> Next(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(this, &TestWorker::HasResponseOrEnded), timeout);
    if (responses_.empty()) return std::nullopt;
    ConfigResponse response = std::move(responses_.front());
    responses_.pop_front();
    return response;
  }

  // The next snapshot response, skipping budget states.
  std::optional<ConfigResponse> NextSnapshot(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      std::optional<ConfigResponse> response = Next(deadline - absl::Now());
      if (!response.has_value() || response->has_snapshot()) return response;
    }
  }

  // The stream's final status, or nullopt if it has not ended within `timeout`.
  std::optional<grpc::Status> WaitForEnd(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&ended_), timeout);
    return final_status_;
  }

  // Time at which the last response was taken off the wire.
  absl::Time last_received() const {
    absl::MutexLock lock(&mu_);
    return last_received_;
  }

  void Cancel() { context_.TryCancel(); }

 private:
  bool HasResponseOrEnded() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !responses_.empty() || ended_;
  }

  void ReadAll() {
    ConfigResponse response;
    while (stream_->Read(&response)) {
      absl::MutexLock lock(&mu_);
      last_received_ = absl::Now();
      responses_.push_back(std::move(response));
      response = ConfigResponse();
    }
    grpc::Status status = stream_->Finish();
    absl::MutexLock lock(&mu_);
    final_status_ = std::move(status);
    ended_ = true;
  }

  grpc::ClientContext context_;
  std::unique_ptr<gateway::discovery::v1::ConfigDiscovery::Stub> stub_;
  std::unique_ptr<grpc::ClientReaderWriter<ConfigRequest, ConfigResponse>> stream_;

  mutable absl::Mutex mu_;
  std::deque<ConfigResponse> responses_ ABSL_GUARDED_BY(mu_);
  absl::Time last_received_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> final_status_ ABSL_GUARDED_BY(mu_);

  std::thread reader_;
};

}  // namespace gw::testing
