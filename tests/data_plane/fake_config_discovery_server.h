// A real ConfigDiscovery gRPC server on loopback for data-plane tests, speaking the protocol the
// control plane speaks: it checks the worker token, sends its current snapshot to a subscriber
// whose version differs, pushes new snapshots and budget state to open streams, and records
// every request so tests can assert on subscribes, ACKs and NACKs. It can be stopped and started
// again on the same port to exercise reconnects.
//   FakeConfigDiscoveryServer fake("worker-token");
//   ASSERT_TRUE(fake.Start().ok());
//   fake.SetSnapshot(MakeSnapshot(1));
//   fake.WaitForRequest([](const Received& r) { return r.request.version_info() == 1; }, 5s);
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gateway/config/v1/config.pb.h"
#include "gateway/discovery/v1/discovery.grpc.pb.h"
#include "grpcpp/server.h"

namespace gw::testing {

class FakeConfigDiscoveryServer {
 public:
  struct Received {
    int stream = 0;  // 1 for the first stream the server accepted, 2 for the next...
    gateway::discovery::v1::ConfigRequest request;
  };
  struct Sent {
    int stream = 0;
    gateway::discovery::v1::ConfigResponse response;
  };

  explicit FakeConfigDiscoveryServer(std::string worker_token);
  ~FakeConfigDiscoveryServer();

  // `port` 0 picks a free port; a restart passes the previous port().
  absl::Status Start(int port = 0);
  // Ends every open stream (the workers see the server go away).
  void Stop();

  int port() const { return port_; }
  std::string address() const;

  // Serves `snapshot` from now on and pushes it to every open stream.
  void SetSnapshot(const gateway::config::v1::Snapshot& snapshot);
  void SendBudgetState(const gateway::config::v1::BudgetState& state);
  void SendKeyRevocations(const gateway::config::v1::KeyRevocations& revocations);

  std::vector<Received> received() const;
  std::vector<Sent> sent() const;
  int open_streams() const;
  int rejected_streams() const;

  // The first request (in arrival order) matching `match`, waiting up to `timeout`.
  std::optional<Received> WaitForRequest(const std::function<bool(const Received&)>& match,
                                         absl::Duration timeout) const;

 private:
  class Service;
  struct Stream;
  void Broadcast(gateway::discovery::v1::ConfigResponse response);

  const std::string worker_token_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;

  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::optional<gateway::discovery::v1::ConfigResponse> snapshot_;  // Without nonce.
  std::vector<Stream*> streams_;
  std::vector<Received> received_;
  std::vector<Sent> sent_;
  int stream_count_ = 0;
  int rejected_ = 0;
  int nonce_counter_ = 0;
};

}  // namespace gw::testing
