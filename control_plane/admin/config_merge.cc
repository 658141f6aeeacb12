#include "control_plane/admin/config_merge.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "control_plane/admin/config_edits.h"
#include "common/config_resources.h"

namespace gw::cp {
namespace cfg = gateway::config::v1;
namespace {

template <typename Resource>
absl::Status CheckDefinedOnce(const ResourceList<Resource>& list) {
  absl::flat_hash_set<std::string> names;
  for (const Resource& resource : list) {
    if (!names.insert(ResourceName(resource)).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          ResourceLabel(ResourceKind(resource), ResourceName(resource)), " is defined twice"));
    }
  }
  return absl::OkStatus();
}

template <typename Resource>
void MergeList(const ResourceList<Resource>& incoming, bool prune, ResourceList<Resource>& list) {
  if (prune) {
    list = incoming;
  } else {
    for (const Resource& resource : incoming) UpsertResource(list, resource);
  }
  SortResources(list);
}

}  // namespace

absl::Status MergeConfig(const cfg::GatewayConfig& incoming, bool prune,
                         cfg::GatewayConfig& config) {
  for (absl::Status defined_once :
       {CheckDefinedOnce(incoming.teams()), CheckDefinedOnce(incoming.providers()),
        CheckDefinedOnce(incoming.models()), CheckDefinedOnce(incoming.routes()),
        CheckDefinedOnce(incoming.prices())}) {
    if (!defined_once.ok()) return defined_once;
  }
  cfg::GatewayConfig defaulted = incoming;
  for (cfg::Team& team : *defaulted.mutable_teams()) ApplyTeamDefaults(team);
  MergeList(defaulted.teams(), prune, *config.mutable_teams());
  MergeList(defaulted.providers(), prune, *config.mutable_providers());
  MergeList(defaulted.models(), prune, *config.mutable_models());
  MergeList(defaulted.routes(), prune, *config.mutable_routes());
  MergeList(defaulted.prices(), prune, *config.mutable_prices());
  return absl::OkStatus();
}

}  // namespace gw::cp
