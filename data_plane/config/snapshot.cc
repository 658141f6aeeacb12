#include "data_plane/config/snapshot.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "boost/json/array.hpp"
#include "boost/json/object.hpp"
#include "boost/json/serialize.hpp"

namespace gw::dp {
namespace cfg = gateway::config::v1;
namespace {

// Shares one ModelList between every team and key that ends up with the same names, so a
// snapshot with 100,000 keys holds a handful of lists, not 100,000.
class ModelListInterner {
 public:
  ModelListInterner(const absl::flat_hash_map<std::string, const cfg::Model*>& models,
                    int64_t created)
      : models_(models), created_(created) {}

  std::shared_ptr<const ModelList> Intern(std::vector<std::string> names) {
    std::sort(names.begin(), names.end());
    std::string signature = absl::StrJoin(names, "\n");
    auto [it, inserted] = lists_.try_emplace(std::move(signature));
    if (inserted) it->second = Render(std::move(names));
    return it->second;
  }

 private:
  std::shared_ptr<const ModelList> Render(std::vector<std::string> names) const {
    boost::json::array data;
    data.reserve(names.size());
    for (const std::string& name : names) {
      const cfg::Model& model = *models_.at(name);
      data.push_back(boost::json::object{{"id", name},
                                         {"object", "model"},
                                         {"created", created_},
                                         {"owned_by", model.provider()}});
    }
    auto list = std::make_shared<ModelList>();
    list->models_response_json =
        boost::json::serialize(boost::json::object{{"object", "list"}, {"data", std::move(data)}});
    list->names = std::move(names);
    return list;
  }

  const absl::flat_hash_map<std::string, const cfg::Model*>& models_;
  const int64_t created_;
  absl::flat_hash_map<std::string, std::shared_ptr<const ModelList>> lists_;
};

// The existing models among `allowed` (every model when `allowed` is empty).
std::vector<std::string> ExistingModels(
    const google::protobuf::RepeatedPtrField<std::string>& allowed,
    const absl::flat_hash_map<std::string, const cfg::Model*>& models) {
  std::vector<std::string> names;
  if (allowed.empty()) {
    names.reserve(models.size());
    for (const auto& [name, model] : models) names.push_back(name);
    return names;
  }
  for (const std::string& name : allowed) {
    if (models.contains(name)) names.push_back(name);
  }
  return names;
}

}  // namespace

absl::StatusOr<Snapshot::ParsedOnArena> Snapshot::ParsedOnArena::Parse(
    absl::string_view serialized) {
  google::protobuf::ArenaOptions options;
  options.start_block_size = 64 << 10;
  options.max_block_size = 4 << 20;
  ParsedOnArena parsed;
  parsed.arena_ = std::make_unique<google::protobuf::Arena>(options);
  parsed.proto_ = google::protobuf::Arena::CreateMessage<cfg::Snapshot>(parsed.arena_.get());
  if (!parsed.proto_->ParseFromArray(serialized.data(), static_cast<int>(serialized.size()))) {
    return absl::InvalidArgumentError("snapshot bytes do not parse as gateway.config.v1.Snapshot");
  }
  return parsed;
}

absl::StatusOr<std::shared_ptr<const Snapshot>> Snapshot::Compile(cfg::Snapshot proto) {
  // Not make_shared: the constructor is private.
  std::shared_ptr<Snapshot> snapshot(new Snapshot(std::move(proto)));
  if (absl::Status indexed = snapshot->Index(); !indexed.ok()) return indexed;
  return std::shared_ptr<const Snapshot>(std::move(snapshot));
}

absl::StatusOr<std::shared_ptr<const Snapshot>> Snapshot::Compile(ParsedOnArena parsed) {
  std::shared_ptr<Snapshot> snapshot(new Snapshot(std::move(parsed)));
  if (absl::Status indexed = snapshot->Index(); !indexed.ok()) return indexed;
  return std::shared_ptr<const Snapshot>(std::move(snapshot));
}

absl::Status Snapshot::Index() {
  const cfg::Snapshot& p = *proto_;
  for (const cfg::Model& model : p.config().models()) {
    models_by_name_.emplace(model.name(), &model);
  }
  for (const cfg::ModelPrice& price : p.config().prices()) {
    prices_by_model_.insert_or_assign(price.model(), &price);
  }
  ModelListInterner interner(models_by_name_, p.created_at().seconds());

  struct TeamEntry {
    const cfg::Team* team;
    std::shared_ptr<const ModelList> models;
  };
  absl::flat_hash_map<absl::string_view, TeamEntry> teams;
  for (const cfg::Team& team : p.config().teams()) {
    teams.emplace(
        team.name(),
        TeamEntry{&team, interner.Intern(ExistingModels(team.allowed_models(), models_by_name_))});
  }

  keys_by_digest_.reserve(static_cast<size_t>(p.keys_size()));
  for (const cfg::KeyEntry& entry : p.keys()) {
    auto team = teams.find(entry.team());
    if (team == teams.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("key '", entry.id(), "' belongs to unknown team '", entry.team(), "'"));
    }
    KeyInfo key;
    key.id = entry.id();
    key.prefix = entry.prefix();
    key.team = team->second.team;
    if (entry.has_expires_at()) {
      key.expires_at = absl::FromUnixSeconds(entry.expires_at().seconds()) +
                       absl::Nanoseconds(entry.expires_at().nanos());
    }
    if (entry.allowed_models().empty()) {
      key.models = team->second.models;
    } else {
      const absl::flat_hash_set<absl::string_view> narrowed(entry.allowed_models().begin(),
                                                            entry.allowed_models().end());
      std::vector<std::string> names;
      for (const std::string& name : team->second.models->names) {
        if (narrowed.contains(name)) names.push_back(name);
      }
      key.models = interner.Intern(std::move(names));
    }
    keys_by_digest_.insert_or_assign(absl::string_view(entry.sha256()), std::move(key));
  }
  return absl::OkStatus();
}

const KeyInfo* Snapshot::FindKeyByDigest(absl::string_view sha256) const {
  auto it = keys_by_digest_.find(sha256);
  return it == keys_by_digest_.end() ? nullptr : &it->second;
}

const cfg::Model* Snapshot::FindModel(absl::string_view name) const {
  auto it = models_by_name_.find(name);
  return it == models_by_name_.end() ? nullptr : it->second;
}

const cfg::ModelPrice* Snapshot::FindPrice(absl::string_view model) const {
  auto it = prices_by_model_.find(model);
  return it == prices_by_model_.end() ? nullptr : it->second;
}

}  // namespace gw::dp
