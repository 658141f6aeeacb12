#include "data_plane/providers/provider_registry.h"

#include "absl/strings/str_cat.h"
#include "data_plane/providers/openai/openai_adapter.h"

namespace gw::dp {

absl::StatusOr<std::unique_ptr<const Provider>> MakeProvider(
    const gateway::config::v1::Provider& config, absl::string_view credential,
    const UpstreamTimeouts& timeouts) {
  using gateway::config::v1::ProviderType;
  switch (config.type()) {
    case ProviderType::PROVIDER_TYPE_OPENAI:
    case ProviderType::PROVIDER_TYPE_OPENAI_COMPATIBLE:
      return MakeOpenAiAdapter(config.name(), config.base_url(), credential, timeouts);
    default:
      return absl::UnimplementedError(
          absl::StrCat("provider '", config.name(), "': provider type ",
                       gateway::config::v1::ProviderType_Name(config.type()),
                       " is not supported by this worker yet"));
  }
}

}  // namespace gw::dp
