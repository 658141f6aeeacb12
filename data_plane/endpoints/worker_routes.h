// The worker's HTTP API: which pipeline serves which path. A new endpoint is one Add() here
// with its chain of stages; a new stage is one more entry in the chains that need it.
//   std::unique_ptr<Router> router = BuildWorkerRouter({.max_body_bytes = 32 << 20});
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "data_plane/config/budget_state_slot.h"
#include "data_plane/config/key_revocation_slot.h"
#include "data_plane/server/router.h"
#include "data_plane/stages/usage/usage_sink.h"
#include "data_plane/upstream/upstream_client.h"
#include "data_plane/upstream/upstream_timeouts.h"

namespace gw::dp {

struct WorkerRoutesOptions {
  uint64_t max_body_bytes = 32 * 1024 * 1024;  // Must match the server's limit (for 413 text).
  // Timeouts of every provider call (the --upstream-*-timeout-ms flags).
  UpstreamTimeouts upstream_timeouts = {};
  UpstreamClientOptions upstream_client = {};
  // Every /v1/* request's usage record goes here (null: nothing is metered).
  std::shared_ptr<UsageSink> usage_sink = nullptr;
  std::string worker_id = {};  // In every usage record and its record id.
  // GET /debug/budget shows this slot to holders of the worker token (null: no such endpoint).
  const BudgetStateSlot* budget_state = nullptr;
  std::string worker_token = {};
  // Keys revoked ahead of their snapshot; the key auth stage refuses them (null: not consulted).
  const KeyRevocationSlot* key_revocations = nullptr;
};

std::unique_ptr<Router> BuildWorkerRouter(const WorkerRoutesOptions& options);

}  // namespace gw::dp
