#include "fake_config_discovery_server.h"

#include <chrono>
#include <deque>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace gw::testing {
namespace disc = gateway::discovery::v1;

struct FakeConfigDiscoveryServer::Stream {
  int id = 0;
  std::deque<disc::ConfigResponse> outbox;
  bool reader_done = false;
};

class FakeConfigDiscoveryServer::Service final : public disc::ConfigDiscovery::Service {
 public:
  explicit Service(FakeConfigDiscoveryServer* owner) : owner_(owner) {}

  grpc::Status StreamConfig(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<disc::ConfigResponse, disc::ConfigRequest>* stream) override {
    FakeConfigDiscoveryServer& o = *owner_;
    const auto& metadata = context->client_metadata();
    const auto auth = metadata.find("authorization");
    if (auth == metadata.end() || std::string(auth->second.data(), auth->second.size()) !=
                                      absl::StrCat("Bearer ", o.worker_token_)) {
      std::lock_guard<std::mutex> lock(o.mu_);
      ++o.rejected_;
      o.changed_.notify_all();
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "invalid worker token");
    }
    disc::ConfigRequest subscribe;
    if (!stream->Read(&subscribe)) return grpc::Status::OK;

    Stream state;
    {
      std::lock_guard<std::mutex> lock(o.mu_);
      state.id = ++o.stream_count_;
      o.received_.push_back({state.id, subscribe});
      o.streams_.push_back(&state);
      if (o.snapshot_.has_value() && o.snapshot_->version_info() != subscribe.version_info()) {
        disc::ConfigResponse response = *o.snapshot_;
        response.set_nonce(absl::StrCat("nonce-", ++o.nonce_counter_));
        state.outbox.push_back(std::move(response));
      }
      o.changed_.notify_all();
    }

    std::thread reader([&] {
      disc::ConfigRequest request;
      while (stream->Read(&request)) {
        std::lock_guard<std::mutex> lock(o.mu_);
        o.received_.push_back({state.id, request});
        o.changed_.notify_all();
      }
      std::lock_guard<std::mutex> lock(o.mu_);
      state.reader_done = true;
      o.changed_.notify_all();
    });

    std::unique_lock<std::mutex> lock(o.mu_);
    while (!state.reader_done && !context->IsCancelled()) {
      if (state.outbox.empty()) {
        // IsCancelled() has no notification; a short timed wait notices server shutdown.
        o.changed_.wait_for(lock, std::chrono::milliseconds(20));
        continue;
      }
      disc::ConfigResponse response = std::move(state.outbox.front());
      state.outbox.pop_front();
      o.sent_.push_back({state.id, response});
      lock.unlock();
      const bool written = stream->Write(response);
      lock.lock();
      if (!written) break;
    }
    std::erase(o.streams_, &state);
    o.changed_.notify_all();
    lock.unlock();
    context->TryCancel();  // Unblocks the reader if the worker is still connected.
    reader.join();
    return grpc::Status::OK;
  }

 private:
  FakeConfigDiscoveryServer* owner_;
};

FakeConfigDiscoveryServer::FakeConfigDiscoveryServer(std::string worker_token)
    : worker_token_(std::move(worker_token)) {}

FakeConfigDiscoveryServer::~FakeConfigDiscoveryServer() { Stop(); }

absl::Status FakeConfigDiscoveryServer::Start(int port) {
  service_ = std::make_unique<Service>(this);
  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(absl::StrCat("127.0.0.1:", port), grpc::InsecureServerCredentials(),
                           &bound_port);
  builder.RegisterService(service_.get());
  // What the control plane permits: keepalive pings every 5 s, even on a quiet stream.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || bound_port == 0) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat("fake discovery server cannot bind port ", port));
  }
  port_ = bound_port;
  return absl::OkStatus();
}

void FakeConfigDiscoveryServer::Stop() {
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now());
  server_->Wait();
  server_.reset();
  service_.reset();
}

std::string FakeConfigDiscoveryServer::address() const { return absl::StrCat("127.0.0.1:", port_); }

void FakeConfigDiscoveryServer::SetSnapshot(const gateway::config::v1::Snapshot& snapshot) {
  disc::ConfigResponse response;
  response.set_version_info(snapshot.version());
  response.set_snapshot(snapshot.SerializeAsString());
  {
    std::lock_guard<std::mutex> lock(mu_);
    snapshot_ = response;
  }
  Broadcast(std::move(response));
}

void FakeConfigDiscoveryServer::SendBudgetState(const gateway::config::v1::BudgetState& state) {
  disc::ConfigResponse response;
  {
    std::lock_guard<std::mutex> lock(mu_);
    response.set_version_info(snapshot_.has_value() ? snapshot_->version_info() : 0);
  }
  response.set_budget_state(state.SerializeAsString());
  Broadcast(std::move(response));
}

void FakeConfigDiscoveryServer::SendKeyRevocations(
    const gateway::config::v1::KeyRevocations& revocations) {
  disc::ConfigResponse response;
  {
    std::lock_guard<std::mutex> lock(mu_);
    response.set_version_info(snapshot_.has_value() ? snapshot_->version_info() : 0);
  }
  response.set_key_revocations(revocations.SerializeAsString());
  Broadcast(std::move(response));
}

void FakeConfigDiscoveryServer::Broadcast(disc::ConfigResponse response) {
  std::lock_guard<std::mutex> lock(mu_);
  for (Stream* stream : streams_) {
    disc::ConfigResponse copy = response;
    copy.set_nonce(absl::StrCat("nonce-", ++nonce_counter_));
    stream->outbox.push_back(std::move(copy));
  }
  changed_.notify_all();
}

std::vector<FakeConfigDiscoveryServer::Received> FakeConfigDiscoveryServer::received() const {
  std::lock_guard<std::mutex> lock(mu_);
  return received_;
}

std::vector<FakeConfigDiscoveryServer::Sent> FakeConfigDiscoveryServer::sent() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sent_;
}

int FakeConfigDiscoveryServer::open_streams() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(streams_.size());
}

int FakeConfigDiscoveryServer::rejected_streams() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rejected_;
}

std::optional<FakeConfigDiscoveryServer::Received> FakeConfigDiscoveryServer::WaitForRequest(
    const std::function<bool(const Received&)>& match, absl::Duration timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    for (const Received& r : received_) {
      if (match(r)) return r;
    }
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
      for (const Received& r : received_) {
        if (match(r)) return r;
      }
      return std::nullopt;
    }
  }
}

}  // namespace gw::testing
