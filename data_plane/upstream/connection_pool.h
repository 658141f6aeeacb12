// Idle keep-alive connections of one worker thread, per upstream origin (scheme, host, port),
// with the origin's resolved addresses cached for a short while. Owned by that thread's
// UpstreamClient: no locks. Most recently used first, so a burst's connections stay warm and the
// surplus ages out.
//   ConnectionPool::Origin& origin = pool.FindOrAdd(endpoint);
//   std::shared_ptr<UpstreamConnection> conn = pool.Checkout(origin);  // nullptr: connect anew
//   ...  pool.Checkin(origin, std::move(conn));  // after a complete, clean response
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "boost/asio/ip/tcp.hpp"
#include "data_plane/upstream/tls_client_context.h"
#include "data_plane/upstream/upstream_connection.h"
#include "data_plane/upstream/upstream_endpoint.h"

namespace gw::dp {

struct ConnectionPoolOptions {
  size_t max_idle_per_origin = 64;
  // Idle connections older than this are closed rather than reused. Servers close idle
  // connections too (uvicorn after 5 s, nginx after 75 s); the liveness peek on checkout catches
  // those, this bounds how many dead sockets we hold.
  absl::Duration max_idle_time = absl::Seconds(30);
  // Peek at an idle connection before reusing it (one non-blocking recv), so one the server has
  // closed is replaced before anything is sent. Every reuse, however briefly the connection was
  // idle: a busy loop can check one out in the same turn in which the server's close arrived.
  // Without it the stale connection is found by a failed write and the request retried once on
  // a fresh one.
  bool check_idle_liveness = true;
  // How long resolved addresses are reused for new connections.
  absl::Duration dns_ttl = absl::Seconds(30);
};

class ConnectionPool {
 public:
  using Clock = UpstreamConnection::Clock;
  using ConnectionPtr = std::shared_ptr<UpstreamConnection>;

  struct Origin {
    std::vector<ConnectionPtr> idle;  // Oldest first.
    boost::asio::ip::tcp::resolver::results_type addresses;
    Clock::time_point resolved_at = {};
    TlsSessionCache tls_sessions;
  };

  explicit ConnectionPool(ConnectionPoolOptions options);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // The entry stays valid as long as the pool.
  Origin& FindOrAdd(const UpstreamEndpoint& endpoint);

  // The most recently returned live connection, or nullptr. Connections that idled too long or
  // that the peer closed are dropped on the way.
  ConnectionPtr Checkout(Origin& origin);

  // `connection` must have finished a response completely (nothing left unread).
  void Checkin(Origin& origin, ConnectionPtr connection);

  // Cached addresses when still fresh, else nullptr.
  const boost::asio::ip::tcp::resolver::results_type* FreshAddresses(const Origin& origin) const;
  void CacheAddresses(Origin& origin, boost::asio::ip::tcp::resolver::results_type addresses);

  size_t idle_count() const;
  void CloseIdle();

 private:
  void SweepIfDue(Clock::time_point now);

  ConnectionPoolOptions options_;
  Clock::duration max_idle_;
  Clock::duration dns_ttl_;
  Clock::time_point next_sweep_ = {};
  absl::node_hash_map<std::string, Origin> origins_;
};

}  // namespace gw::dp
