// Liveness and readiness for orchestrators (CONTRACTS.md): /healthz answers 200 while the
// process runs; /readyz answers 200 {"config_version": N} once a snapshot is in force, 503 before.
#pragma once

#include "data_plane/pipeline/handler.h"

namespace gw::dp {

class HealthzHandler final : public Handler {
 public:
  boost::asio::awaitable<void> Handle(RequestContext& ctx) const override;
};

class ReadyzHandler final : public Handler {
 public:
  boost::asio::awaitable<void> Handle(RequestContext& ctx) const override;
};

}  // namespace gw::dp
