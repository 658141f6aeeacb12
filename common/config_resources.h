// Addressing resources by name inside a GatewayConfig's lists (teams, providers and models by
// name, routes by task, prices by model), and the canonical form of a configuration.
//   if (const Team* team = FindResource(config.teams(), "search")) { ... }
#pragma once

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gateway/config/v1/config.pb.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace gw {

inline const std::string& ResourceName(const gateway::config::v1::Team& team) {
  return team.name();
}
inline const std::string& ResourceName(const gateway::config::v1::Provider& provider) {
  return provider.name();
}
inline const std::string& ResourceName(const gateway::config::v1::Model& model) {
  return model.name();
}
inline const std::string& ResourceName(const gateway::config::v1::Route& route) {
  return route.task();
}
inline const std::string& ResourceName(const gateway::config::v1::ModelPrice& price) {
  return price.model();
}

// The kind as change lines and error messages spell it: "team/search: created".
inline absl::string_view ResourceKind(const gateway::config::v1::Team&) { return "team"; }
inline absl::string_view ResourceKind(const gateway::config::v1::Provider&) { return "provider"; }
inline absl::string_view ResourceKind(const gateway::config::v1::Model&) { return "model"; }
inline absl::string_view ResourceKind(const gateway::config::v1::Route&) { return "route"; }
inline absl::string_view ResourceKind(const gateway::config::v1::ModelPrice&) { return "price"; }

template <typename Resource>
using ResourceList = google::protobuf::RepeatedPtrField<Resource>;

template <typename Resource>
const Resource* FindResource(const ResourceList<Resource>& list, absl::string_view name) {
  for (const Resource& resource : list) {
    if (ResourceName(resource) == name) return &resource;
  }
  return nullptr;
}

template <typename Resource>
Resource* FindResource(ResourceList<Resource>& list, absl::string_view name) {
  for (Resource& resource : list) {
    if (ResourceName(resource) == name) return &resource;
  }
  return nullptr;
}

// Returns whether a resource named `name` was there.
template <typename Resource>
bool EraseResource(ResourceList<Resource>& list, absl::string_view name) {
  for (int i = 0; i < list.size(); ++i) {
    if (ResourceName(list.Get(i)) == name) {
      list.erase(list.begin() + i);
      return true;
    }
  }
  return false;
}

template <typename Resource>
void SortResources(ResourceList<Resource>& list) {
  std::sort(list.pointer_begin(), list.pointer_end(), [](const Resource* a, const Resource* b) {
    return ResourceName(*a) < ResourceName(*b);
  });
}

// Replaces the resource of the same name or appends it, keeping the list sorted by name.
template <typename Resource>
void UpsertResource(ResourceList<Resource>& list, Resource resource) {
  if (Resource* existing = FindResource(list, ResourceName(resource))) {
    *existing = std::move(resource);
    return;
  }
  *list.Add() = std::move(resource);
  SortResources(list);
}

// The canonical form the store keeps and every export and snapshot shows: unspecified enums take
// their default value, and every resource list is sorted by name. Lists inside a resource keep
// their order.
void CanonicalizeConfig(gateway::config::v1::GatewayConfig& config);

inline std::string ResourceLabel(absl::string_view kind, absl::string_view name) {
  return absl::StrCat(kind, " '", name, "'");
}

}  // namespace gw
