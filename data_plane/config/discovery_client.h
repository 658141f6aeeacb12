// The worker's side of ConfigDiscovery: one bidi stream to the control plane that subscribes with
// the last applied version, applies each pushed snapshot (ACK) or refuses it (NACK, the old one
// stays in force), stores budget state and key revocations, and reconnects with jittered, capped
// backoff.
//   DiscoveryClient client(options, &applier, &budget, &revocations);
//   client.Start();  ...  client.Stop();   // Stop cancels the stream and joins its thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "data_plane/config/budget_state_slot.h"
#include "data_plane/config/key_revocation_slot.h"
#include "data_plane/config/snapshot_applier.h"
#include "gateway/discovery/v1/discovery.grpc.pb.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"

namespace gw::dp {

struct DiscoveryClientOptions {
  std::string control_plane;  // host:port
  std::string worker_token;   // Sent as `authorization: Bearer <token>`; never logged.
  std::string worker_id;
  std::string node_address;  // The HTTP listen address, shown by `gwctl status`.
  std::string build_version;
  // Between stream attempts: doubles from `initial_backoff` up to `max_backoff`, each delay
  // jittered into [d/2, d] so that workers restarted together do not reconnect in lockstep.
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(2);
  // The control plane permits pings every 5 s; 10 s stays well inside that.
  absl::Duration keepalive_time = absl::Seconds(10);
  absl::Duration keepalive_timeout = absl::Seconds(5);
  // Snapshots with 100,000 keys are several MB; gRPC's default limit is 4 MB.
  int max_receive_message_bytes = 256 * 1024 * 1024;
};

class DiscoveryClient {
 public:
  // `revocations` may be null: revocations then take effect with their snapshot.
  DiscoveryClient(DiscoveryClientOptions options, SnapshotApplier* applier,
                  BudgetStateSlot* budget_state, KeyRevocationSlot* revocations = nullptr);
  ~DiscoveryClient();
  DiscoveryClient(const DiscoveryClient&) = delete;
  DiscoveryClient& operator=(const DiscoveryClient&) = delete;

  void Start();
  // Cancels the open stream (the control plane sees the worker leave) and joins. Idempotent.
  void Stop();

  // True while a stream is open and the control plane has answered on it.
  bool connected() const { return connected_.load(std::memory_order_acquire); }

 private:
  void Run();
  // Blocks until the channel is connected (true) or Stop() is called (false). Waiting on the
  // channel is what drives its connection attempts: a synchronous client otherwise leaves a
  // half-open connection to gRPC's 5 s backup poller.
  bool WaitForChannel();
  // One stream from subscribe to end; true when the control plane answered at least once. A
  // second thread reads the stream (revocations and budget states apply at once) while this one
  // applies snapshots, newest first.
  bool RunStream();
  gateway::discovery::v1::ConfigRequest HandleSnapshot(
      const gateway::discovery::v1::ConfigResponse& response);
  void PersistApplied(const gateway::discovery::v1::ConfigResponse& response);
  void HandleBudgetState(const gateway::discovery::v1::ConfigResponse& response);
  void HandleKeyRevocations(const gateway::discovery::v1::ConfigResponse& response);
  // Waits `delay` unless Stop() comes first; false when stopping.
  bool SleepUnlessStopped(absl::Duration delay);

  const DiscoveryClientOptions options_;
  SnapshotApplier* const applier_;
  BudgetStateSlot* const budget_state_;
  KeyRevocationSlot* const revocations_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<gateway::discovery::v1::ConfigDiscovery::Stub> stub_;

  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;                          // Guarded by mu_.
  grpc::ClientContext* active_context_ = nullptr;  // Guarded by mu_; cancelled by Stop().
  std::atomic<bool> connected_{false};
  int failed_attempts_ = 0;  // Consecutive streams the control plane never answered.
  std::thread thread_;
};

}  // namespace gw::dp
