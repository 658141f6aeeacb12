#include "control_plane/admin/config_diff.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "common/config_resources.h"
#include "google/protobuf/util/message_differencer.h"

namespace gw::cp {
namespace cfg = gateway::config::v1;
namespace {

template <typename Resource>
void DiffLists(absl::string_view kind, const ResourceList<Resource>& before,
               const ResourceList<Resource>& after, std::vector<std::string>& changes) {
  // Ordered maps give a stable, sorted report whatever the lists' order.
  std::map<std::string, std::pair<const Resource*, const Resource*>> by_name;
  for (const Resource& resource : before) by_name[ResourceName(resource)].first = &resource;
  for (const Resource& resource : after) by_name[ResourceName(resource)].second = &resource;
  for (const auto& [name, pair] : by_name) {
    const auto& [old_resource, new_resource] = pair;
    absl::string_view change;
    if (old_resource == nullptr) {
      change = "created";
    } else if (new_resource == nullptr) {
      change = "deleted";
    } else if (!google::protobuf::util::MessageDifferencer::Equals(*old_resource, *new_resource)) {
      change = "updated";
    } else {
      continue;
    }
    changes.push_back(absl::StrCat(kind, "/", name, ": ", change));
  }
}

}  // namespace

std::vector<std::string> DiffConfigs(const cfg::GatewayConfig& before,
                                     const cfg::GatewayConfig& after) {
  std::vector<std::string> changes;
  DiffLists("team", before.teams(), after.teams(), changes);
  DiffLists("provider", before.providers(), after.providers(), changes);
  DiffLists("model", before.models(), after.models(), changes);
  DiffLists("route", before.routes(), after.routes(), changes);
  DiffLists("price", before.prices(), after.prices(), changes);
  return changes;
}

}  // namespace gw::cp
