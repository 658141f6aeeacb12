// The single-resource edits behind the Admin API's writes, applied to the copy of the
// configuration that ConfigStore::MutateConfig hands out; the store then validates the whole.
//   store.MutateConfig([&](GatewayConfig& c) { return DeleteModel("gpt-4o", c); });
#pragma once

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/admin/v1/admin.pb.h"
#include "gateway/config/v1/config.pb.h"
#include "google/protobuf/field_mask.pb.h"

namespace gw::cp {

// NOT_FOUND "team 'x' does not exist".
absl::Status ResourceNotFound(absl::string_view kind, absl::string_view name);

// A team without a tier gets the standard tier, so exports say what is in force.
void ApplyTeamDefaults(gateway::config::v1::Team& team);

// ALREADY_EXISTS when the name is taken. Returns the team as stored.
absl::StatusOr<gateway::config::v1::Team> AddTeam(gateway::config::v1::Team team,
                                                  gateway::config::v1::GatewayConfig& config);

// Copies the fields `mask` names from `patch` into the team named patch.name(); a named wrapper
// field that `patch` leaves unset is cleared. INVALID_ARGUMENT for an empty mask or a path that
// is not an updatable Team field; NOT_FOUND for an unknown team. Returns the team as stored.
absl::StatusOr<gateway::config::v1::Team> UpdateTeam(const gateway::config::v1::Team& patch,
                                                     const google::protobuf::FieldMask& mask,
                                                     gateway::config::v1::GatewayConfig& config);

// The store deletes the team's keys with it.
absl::Status DeleteTeam(absl::string_view name, gateway::config::v1::GatewayConfig& config);

absl::Status AddProvider(const gateway::config::v1::Provider& provider,
                         gateway::config::v1::GatewayConfig& config);

// FAILED_PRECONDITION naming the models that still use the provider.
absl::Status DeleteProvider(absl::string_view name, gateway::config::v1::GatewayConfig& config);

absl::Status AddModel(const gateway::config::v1::Model& model,
                      gateway::config::v1::GatewayConfig& config);

// FAILED_PRECONDITION naming the routes that still use the model; its price goes with it.
absl::Status DeleteModel(absl::string_view name, gateway::config::v1::GatewayConfig& config);

// Creates or replaces the route for route.task().
void SetRoute(const gateway::config::v1::Route& route, gateway::config::v1::GatewayConfig& config);

absl::Status DeleteRoute(absl::string_view task, gateway::config::v1::GatewayConfig& config);

// NOT_FOUND for an unknown model.
absl::Status SetPrice(const gateway::config::v1::ModelPrice& price,
                      gateway::config::v1::GatewayConfig& config);

// Prices every model whose upstream name (its own name when upstream_model is empty) has an
// entry in `prices`. INVALID_ARGUMENT for an unnamed, repeated or negative entry. Returns the
// prices set, sorted by model.
absl::StatusOr<std::vector<gateway::config::v1::ModelPrice>> ImportPrices(
    const google::protobuf::RepeatedPtrField<gateway::admin::v1::UpstreamPrice>& prices,
    gateway::config::v1::GatewayConfig& config);

}  // namespace gw::cp
