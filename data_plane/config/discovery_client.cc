#include "data_plane/config/discovery_client.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/feature_level.h"
#include "common/thread_role.h"
#include "data_plane/config/control_plane_channel.h"
#include "google/rpc/status.pb.h"
#include "spdlog/spdlog.h"

namespace gw::dp {
namespace disc = gateway::discovery::v1;
namespace {

std::shared_ptr<grpc::Channel> MakeChannel(const DiscoveryClientOptions& options) {
  return MakeControlPlaneChannel({.address = options.control_plane,
                                  .initial_backoff = options.initial_backoff,
                                  .max_backoff = options.max_backoff,
                                  .keepalive_time = options.keepalive_time,
                                  .keepalive_timeout = options.keepalive_timeout,
                                  .max_receive_message_bytes = options.max_receive_message_bytes});
}

}  // namespace

DiscoveryClient::DiscoveryClient(DiscoveryClientOptions options, SnapshotApplier* applier,
                                 BudgetStateSlot* budget_state, KeyRevocationSlot* revocations)
    : options_(std::move(options)),
      applier_(applier),
      budget_state_(budget_state),
      revocations_(revocations),
      channel_(MakeChannel(options_)),
      stub_(disc::ConfigDiscovery::NewStub(channel_)) {}

DiscoveryClient::~DiscoveryClient() { Stop(); }

void DiscoveryClient::Start() {
  thread_ = std::thread([this] {
    // Serving priority: revocations must reach the key check promptly even on a busy core.
    SetThreadRole("gw-discovery", ThreadPriority::kServing);
    Run();
  });
}

void DiscoveryClient::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    if (active_context_ != nullptr) active_context_->TryCancel();
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DiscoveryClient::Run() {
  std::mt19937_64 random(std::random_device{}());
  absl::Duration backoff = options_.initial_backoff;
  while (WaitForChannel()) {
    if (RunStream()) backoff = options_.initial_backoff;
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    const absl::Duration delay = backoff * jitter(random);
    backoff = std::min(backoff * 2, options_.max_backoff);
    if (!SleepUnlessStopped(delay)) return;
  }
}

bool DiscoveryClient::WaitForChannel() {
  bool logged = false;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return false;
    }
    // Short slices keep Stop() prompt; the channel's own backoff paces the attempts.
    if (channel_->WaitForConnected(std::chrono::system_clock::now() +
                                   std::chrono::milliseconds(200))) {
      return true;
    }
    if (!logged && channel_->GetState(false) == GRPC_CHANNEL_TRANSIENT_FAILURE) {
      spdlog::warn("control plane at {} unreachable; retrying every few seconds",
                   options_.control_plane);
      logged = true;
    }
  }
}

bool DiscoveryClient::RunStream() {
  grpc::ClientContext context;
  // The channel was just connected; should it drop again, wait for it rather than fail fast.
  context.set_wait_for_ready(true);
  context.AddMetadata("authorization", absl::StrCat("Bearer ", options_.worker_token));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return false;
    active_context_ = &context;
  }
  std::unique_ptr<grpc::ClientReaderWriter<disc::ConfigRequest, disc::ConfigResponse>> stream =
      stub_->StreamConfig(&context);

  disc::ConfigRequest subscribe;
  disc::Node* node = subscribe.mutable_node();
  node->set_id(options_.worker_id);
  node->set_address(options_.node_address);
  node->set_feature_level(kWorkerFeatureLevel);
  node->set_build_version(options_.build_version);
  subscribe.set_version_info(applier_->store().version());

  std::atomic<bool> answered{false};
  if (stream->Write(subscribe)) {
    // Reading runs on its own thread so that revocations and budget states take effect while a
    // large snapshot is still being applied here (about a second at 100,000 keys); snapshots
    // that arrive meanwhile are coalesced to the newest, as the control plane does for a slow
    // stream. gRPC allows one Read and one Write in flight at once on a stream.
    std::mutex pending_mu;
    std::condition_variable pending_cv;
    std::optional<disc::ConfigResponse> pending_snapshot;  // Guarded by pending_mu.
    bool reading_ended = false;                            // Guarded by pending_mu.
    std::thread reader([&] {
      disc::ConfigResponse response;
      while (stream->Read(&response)) {
        if (!answered.exchange(true)) {
          connected_.store(true, std::memory_order_release);
          spdlog::info("config stream to {} open as worker {} (last applied version {})",
                       options_.control_plane, options_.worker_id, subscribe.version_info());
        }
        if (response.has_key_revocations()) {
          HandleKeyRevocations(response);
        } else if (response.has_budget_state()) {
          HandleBudgetState(response);
        } else if (response.has_snapshot()) {
          std::lock_guard<std::mutex> lock(pending_mu);
          pending_snapshot = std::move(response);
          pending_cv.notify_one();
        }
        response = disc::ConfigResponse();
      }
      std::lock_guard<std::mutex> lock(pending_mu);
      reading_ended = true;
      pending_cv.notify_one();
    });
    while (true) {
      disc::ConfigResponse response;
      {
        std::unique_lock<std::mutex> lock(pending_mu);
        pending_cv.wait(lock, [&] { return pending_snapshot.has_value() || reading_ended; });
        if (!pending_snapshot.has_value()) break;
        response = *std::move(pending_snapshot);
        pending_snapshot.reset();
      }
      const disc::ConfigRequest reply = HandleSnapshot(response);
      const bool acked = stream->Write(reply);
      // After the ACK: persisting costs fsyncs, and the snapshot already serves. A crash
      // before the write merely restarts the worker from the previous snapshot.
      if (!reply.has_error_detail()) PersistApplied(response);
      if (!acked) {
        context.TryCancel();  // Ends the reader's Read.
        break;
      }
    }
    reader.join();
  }
  connected_.store(false, std::memory_order_release);
  const grpc::Status status = stream->Finish();
  {
    std::lock_guard<std::mutex> lock(mu_);
    active_context_ = nullptr;
    if (stopping_) return answered.load();
  }
  // While the control plane is down every attempt fails the same way: say so once, then rarely.
  failed_attempts_ = answered ? 0 : failed_attempts_ + 1;
  if (answered || failed_attempts_ == 1 || failed_attempts_ % 60 == 0) {
    spdlog::warn("config stream to {} ended: code {}, {} (attempt {}); reconnecting",
                 options_.control_plane, static_cast<int>(status.error_code()),
                 status.error_message(), failed_attempts_ + (answered ? 1 : 0));
  }
  return answered;
}

disc::ConfigRequest DiscoveryClient::HandleSnapshot(const disc::ConfigResponse& response) {
  disc::ConfigRequest reply;
  reply.set_response_nonce(response.nonce());
  absl::StatusOr<int64_t> applied = applier_->Apply(response.snapshot());
  if (!applied.ok()) {
    spdlog::warn("NACK config version {}: {}; keeping version {}", response.version_info(),
                 applied.status().ToString(), applier_->store().version());
    reply.set_version_info(applier_->store().version());
    google::rpc::Status* detail = reply.mutable_error_detail();
    detail->set_code(static_cast<int32_t>(applied.status().code()));
    detail->set_message(std::string(applied.status().message()));
    return reply;
  }
  reply.set_version_info(*applied);
  // The snapshot now leaves out every key revoked up to its version.
  if (revocations_ != nullptr) revocations_->PruneReflectedBy(*applied);
  return reply;
}

void DiscoveryClient::PersistApplied(const disc::ConfigResponse& response) {
  if (absl::Status persisted = applier_->Persist(response.snapshot()); !persisted.ok()) {
    spdlog::warn("config version {} applied but not persisted: {}", response.version_info(),
                 persisted.ToString());
  }
}

void DiscoveryClient::HandleBudgetState(const disc::ConfigResponse& response) {
  gateway::config::v1::BudgetState state;
  if (!state.ParseFromString(response.budget_state())) {
    spdlog::warn("ignoring budget state that does not parse");
    return;
  }
  budget_state_->Offer(std::move(state));
}

void DiscoveryClient::HandleKeyRevocations(const disc::ConfigResponse& response) {
  if (revocations_ == nullptr) return;
  gateway::config::v1::KeyRevocations revocations;
  if (!revocations.ParseFromString(response.key_revocations())) {
    spdlog::warn("ignoring key revocations that do not parse");
    return;
  }
  const int64_t applied_version = applier_->store().version();
  if (revocations_->Offer(revocations, applied_version)) {
    // Key ids only: never a digest or a key.
    spdlog::info("key revocations received: {} recent, {} ahead of applied version {}",
                 revocations.keys_size(), revocations_->size(), applied_version);
  }
}

bool DiscoveryClient::SleepUnlessStopped(absl::Duration delay) {
  std::unique_lock<std::mutex> lock(mu_);
  return !stop_cv_.wait_for(lock, absl::ToChronoNanoseconds(delay), [this] { return stopping_; });
}

}  // namespace gw::dp
