// Makes the Provider for a configured provider, by its type: the one place a new provider type
// is registered (one case per type). Called once per snapshot and provider, with the credential
// the worker resolved from the provider's credential reference.
//   GW_ASSIGN_OR_RETURN(std::unique_ptr<const Provider> provider,
//                       MakeProvider(config_provider, resolved_credential));
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "data_plane/providers/provider.h"
#include "gateway/config/v1/config.pb.h"

namespace gw::dp {

// INVALID_ARGUMENT for a bad base URL or credential; UNIMPLEMENTED for a provider type this
// worker cannot serve yet. Messages never contain the credential.
absl::StatusOr<std::unique_ptr<const Provider>> MakeProvider(
    const gateway::config::v1::Provider& config, absl::string_view credential,
    const UpstreamTimeouts& timeouts = {});

}  // namespace gw::dp
