// The control plane as one object: the store, the token check, every gRPC service and the one
// server they share. main() only parses flags, starts it and waits for a signal.
//   auto cp = ControlPlane::Start(options);  // listening when this returns
//   (*cp)->Shutdown(absl::Seconds(5));
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "control_plane/admin/admin_service.h"
#include "control_plane/auth/token_auth.h"
#include "control_plane/discovery/discovery_service.h"
#include "control_plane/store/config_store.h"
#include "control_plane/usage/usage_accounting.h"
#include "grpcpp/server.h"

namespace gw::cp {

struct ControlPlaneOptions {
  // host:port; port 0 picks a free port (see ControlPlane::address()).
  std::string listen_address = "127.0.0.1:7070";
  std::string db_path = "var/gateway.db";
  // Non-empty and different from each other.
  std::string admin_token;
  std::string worker_token;
  // Snapshots of large configurations exceed gRPC's 4 MB default.
  int max_message_bytes = 512 * 1024 * 1024;
};

class ControlPlane {
 public:
  // Opens the store (creating or migrating the database) and starts serving every service.
  // FAILED_PRECONDITION for a database newer than this binary, UNAVAILABLE when the address
  // cannot be bound, INVALID_ARGUMENT for an address that is not host:port.
  static absl::StatusOr<std::unique_ptr<ControlPlane>> Start(const ControlPlaneOptions& options);

  // Shuts down with no grace if Shutdown was not called.
  ~ControlPlane();

  ControlPlane(const ControlPlane&) = delete;
  ControlPlane& operator=(const ControlPlane&) = delete;

  // The listen address with the bound port, e.g. "127.0.0.1:54321".
  const std::string& address() const { return address_; }
  ConfigStore& store() { return *store_; }

  // Stops accepting calls, lets in-flight calls finish for up to `grace`, then cancels the rest.
  // Idempotent.
  void Shutdown(absl::Duration grace);

 private:
  ControlPlane(std::unique_ptr<ConfigStore> store, const ControlPlaneOptions& options);

  // Declaration order is teardown order reversed: the server stops before the services and the
  // store it calls into are destroyed.
  std::unique_ptr<ConfigStore> store_;
  TokenAuth auth_;
  std::unique_ptr<DiscoveryService> discovery_;
  std::unique_ptr<AdminService> admin_;
  // After discovery_, which its spend state is published to.
  std::unique_ptr<UsageAccounting> usage_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  bool shut_down_ = false;
};

}  // namespace gw::cp
