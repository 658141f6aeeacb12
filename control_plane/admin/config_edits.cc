#include "control_plane/admin/config_edits.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/config_resources.h"
#include "google/protobuf/descriptor.h"

namespace gw::cp {
namespace cfg = gateway::config::v1;
namespace {

absl::Status AlreadyExists(absl::string_view kind, absl::string_view name) {
  return absl::AlreadyExistsError(absl::StrCat(ResourceLabel(kind, name), " already exists"));
}

template <typename Resource>
absl::Status AddResource(const Resource& resource, ResourceList<Resource>& list) {
  if (FindResource(list, ResourceName(resource)) != nullptr) {
    return AlreadyExists(ResourceKind(resource), ResourceName(resource));
  }
  UpsertResource(list, resource);
  return absl::OkStatus();
}

template <typename Resource>
absl::Status EraseOrNotFound(absl::string_view kind, absl::string_view name,
                             ResourceList<Resource>& list) {
  if (!EraseResource(list, name)) return ResourceNotFound(kind, name);
  return absl::OkStatus();
}

std::string UpdatableTeamFields() {
  std::vector<std::string> names;
  const google::protobuf::Descriptor* descriptor = cfg::Team::descriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    if (descriptor->field(i)->name() != "name") names.push_back(descriptor->field(i)->name());
  }
  return absl::StrJoin(names, ", ");
}

}  // namespace

absl::Status ResourceNotFound(absl::string_view kind, absl::string_view name) {
  return absl::NotFoundError(absl::StrCat(ResourceLabel(kind, name), " does not exist"));
}

void ApplyTeamDefaults(cfg::Team& team) {
  if (team.tier() == cfg::TIER_UNSPECIFIED) team.set_tier(cfg::TIER_STANDARD);
}

absl::StatusOr<cfg::Team> AddTeam(cfg::Team team, cfg::GatewayConfig& config) {
  ApplyTeamDefaults(team);
  if (absl::Status added = AddResource(team, *config.mutable_teams()); !added.ok()) return added;
  return team;
}

absl::StatusOr<cfg::Team> UpdateTeam(const cfg::Team& patch,
                                     const google::protobuf::FieldMask& mask,
                                     cfg::GatewayConfig& config) {
  if (mask.paths().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the update mask is empty; name the fields to change (", UpdatableTeamFields(), ")"));
  }
  const google::protobuf::Descriptor* descriptor = cfg::Team::descriptor();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  for (const std::string& path : mask.paths()) {
    const google::protobuf::FieldDescriptor* field = descriptor->FindFieldByName(path);
    if (field == nullptr || path == "name") {
      return absl::InvalidArgumentError(absl::StrCat("cannot update team field '", path,
                                                     "' (updatable: ", UpdatableTeamFields(), ")"));
    }
    fields.push_back(field);
  }
  cfg::Team* team = FindResource(*config.mutable_teams(), patch.name());
  if (team == nullptr) return ResourceNotFound("team", patch.name());

  // Keeping only the named fields of the patch and clearing them on the team makes MergeFrom
  // copy exactly those fields, an unset wrapper or empty list arriving as a cleared one.
  const google::protobuf::Reflection* reflection = cfg::Team::GetReflection();
  cfg::Team named_only = patch;
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = descriptor->field(i);
    if (std::find(fields.begin(), fields.end(), field) == fields.end()) {
      reflection->ClearField(&named_only, field);
    }
  }
  for (const google::protobuf::FieldDescriptor* field : fields) reflection->ClearField(team, field);
  team->MergeFrom(named_only);
  ApplyTeamDefaults(*team);
  return *team;
}

absl::Status DeleteTeam(absl::string_view name, cfg::GatewayConfig& config) {
  return EraseOrNotFound("team", name, *config.mutable_teams());
}

absl::Status AddProvider(const cfg::Provider& provider, cfg::GatewayConfig& config) {
  return AddResource(provider, *config.mutable_providers());
}

absl::Status DeleteProvider(absl::string_view name, cfg::GatewayConfig& config) {
  std::vector<std::string> users;
  for (const cfg::Model& model : config.models()) {
    if (model.provider() == name) users.push_back(model.name());
  }
  if (!users.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(ResourceLabel("provider", name), " is still used by model(s) ",
                     absl::StrJoin(users, ", "), "; delete or move them first"));
  }
  return EraseOrNotFound("provider", name, *config.mutable_providers());
}

absl::Status AddModel(const cfg::Model& model, cfg::GatewayConfig& config) {
  return AddResource(model, *config.mutable_models());
}

absl::Status DeleteModel(absl::string_view name, cfg::GatewayConfig& config) {
  std::vector<std::string> users;
  for (const cfg::Route& route : config.routes()) {
    bool uses = route.primary() == name;
    for (const std::string& fallback : route.fallbacks()) uses = uses || fallback == name;
    if (uses) users.push_back(route.task());
  }
  if (!users.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(ResourceLabel("model", name), " is still used by route(s) ",
                     absl::StrJoin(users, ", "), "; change or delete them first"));
  }
  if (absl::Status erased = EraseOrNotFound("model", name, *config.mutable_models());
      !erased.ok()) {
    return erased;
  }
  EraseResource(*config.mutable_prices(), name);
  return absl::OkStatus();
}

void SetRoute(const cfg::Route& route, cfg::GatewayConfig& config) {
  UpsertResource(*config.mutable_routes(), route);
}

absl::Status DeleteRoute(absl::string_view task, cfg::GatewayConfig& config) {
  return EraseOrNotFound("route", task, *config.mutable_routes());
}

absl::Status SetPrice(const cfg::ModelPrice& price, cfg::GatewayConfig& config) {
  if (FindResource(config.models(), price.model()) == nullptr) {
    return ResourceNotFound("model", price.model());
  }
  UpsertResource(*config.mutable_prices(), price);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<cfg::ModelPrice>> ImportPrices(
    const google::protobuf::RepeatedPtrField<gateway::admin::v1::UpstreamPrice>& prices,
    cfg::GatewayConfig& config) {
  absl::flat_hash_map<std::string, const gateway::admin::v1::UpstreamPrice*> by_upstream;
  for (const gateway::admin::v1::UpstreamPrice& price : prices) {
    if (price.upstream_model().empty()) {
      return absl::InvalidArgumentError("an imported price has no upstream model name");
    }
    if (price.input_micro_usd_per_mtok() < 0 || price.cached_input_micro_usd_per_mtok() < 0 ||
        price.output_micro_usd_per_mtok() < 0) {
      return absl::InvalidArgumentError(absl::StrCat("the imported price of upstream model '",
                                                     price.upstream_model(), "' is negative"));
    }
    if (!by_upstream.emplace(price.upstream_model(), &price).second) {
      return absl::InvalidArgumentError(absl::StrCat("upstream model '", price.upstream_model(),
                                                     "' is priced twice in the import"));
    }
  }
  std::vector<cfg::ModelPrice> updated;
  for (const cfg::Model& model : config.models()) {
    const std::string& upstream =
        model.upstream_model().empty() ? model.name() : model.upstream_model();
    const auto it = by_upstream.find(upstream);
    if (it == by_upstream.end()) continue;
    cfg::ModelPrice price;
    price.set_model(model.name());
    price.set_input_micro_usd_per_mtok(it->second->input_micro_usd_per_mtok());
    price.set_cached_input_micro_usd_per_mtok(it->second->cached_input_micro_usd_per_mtok());
    price.set_output_micro_usd_per_mtok(it->second->output_micro_usd_per_mtok());
    updated.push_back(price);
  }
  for (const cfg::ModelPrice& price : updated) UpsertResource(*config.mutable_prices(), price);
  std::sort(updated.begin(), updated.end(), [](const cfg::ModelPrice& a, const cfg::ModelPrice& b) {
    return a.model() < b.model();
  });
  return updated;
}

}  // namespace gw::cp
