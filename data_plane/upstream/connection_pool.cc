#include "data_plane/upstream/connection_pool.h"

#include <algorithm>
#include <utility>

namespace gw::dp {

ConnectionPool::ConnectionPool(ConnectionPoolOptions options)
    : options_(options),
      max_idle_(std::chrono::duration_cast<Clock::duration>(
          absl::ToChronoNanoseconds(options.max_idle_time))),
      dns_ttl_(
          std::chrono::duration_cast<Clock::duration>(absl::ToChronoNanoseconds(options.dns_ttl))) {
}

ConnectionPool::~ConnectionPool() { CloseIdle(); }

ConnectionPool::Origin& ConnectionPool::FindOrAdd(const UpstreamEndpoint& endpoint) {
  const auto it = origins_.find(endpoint.pool_key);
  if (it != origins_.end()) return it->second;
  return origins_[endpoint.pool_key];
}

ConnectionPool::ConnectionPtr ConnectionPool::Checkout(Origin& origin) {
  const Clock::time_point now = Clock::now();
  SweepIfDue(now);
  while (!origin.idle.empty()) {
    ConnectionPtr connection = std::move(origin.idle.back());
    origin.idle.pop_back();
    if (now - connection->idle_since <= max_idle_ &&
        (!options_.check_idle_liveness || connection->LooksAlive())) {
      return connection;
    }
    connection->Close();
  }
  return nullptr;
}

void ConnectionPool::Checkin(Origin& origin, ConnectionPtr connection) {
  const Clock::time_point now = Clock::now();
  connection->ClearDeadline();
  connection->idle_since = now;
  if (options_.max_idle_per_origin == 0) return;
  if (origin.idle.size() >= options_.max_idle_per_origin) {
    origin.idle.front()->Close();
    origin.idle.erase(origin.idle.begin());
  }
  origin.idle.push_back(std::move(connection));
  SweepIfDue(now);
}

const boost::asio::ip::tcp::resolver::results_type* ConnectionPool::FreshAddresses(
    const Origin& origin) const {
  if (origin.addresses.empty() || Clock::now() - origin.resolved_at > dns_ttl_) return nullptr;
  return &origin.addresses;
}

void ConnectionPool::CacheAddresses(Origin& origin,
                                    boost::asio::ip::tcp::resolver::results_type addresses) {
  origin.addresses = std::move(addresses);
  origin.resolved_at = Clock::now();
}

size_t ConnectionPool::idle_count() const {
  size_t count = 0;
  for (const auto& [key, origin] : origins_) count += origin.idle.size();
  return count;
}

void ConnectionPool::CloseIdle() {
  for (auto& [key, origin] : origins_) {
    for (const ConnectionPtr& connection : origin.idle) connection->Close();
    origin.idle.clear();
  }
}

void ConnectionPool::SweepIfDue(Clock::time_point now) {
  // Amortised: at most twice per idle period, so a pool that is left alone still sheds its
  // stale sockets on the next request to any origin.
  if (now < next_sweep_) return;
  next_sweep_ = now + max_idle_ / 2;
  for (auto& [key, origin] : origins_) {
    const auto fresh_begin =
        std::find_if(origin.idle.begin(), origin.idle.end(),
                     [&](const ConnectionPtr& c) { return now - c->idle_since <= max_idle_; });
    for (auto it = origin.idle.begin(); it != fresh_begin; ++it) (*it)->Close();
    origin.idle.erase(origin.idle.begin(), fresh_begin);
  }
}

}  // namespace gw::dp
