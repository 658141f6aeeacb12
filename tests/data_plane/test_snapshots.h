// Snapshots for data-plane tests: a small valid configuration (one provider, three models, two
// teams) and keys added by plaintext, as the control plane would build them.
//   cfg::Snapshot s = MakeSnapshot(1);
//   AddKey(s, "key_a", "gwk-alpha", "team-a");
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/api_key.h"
#include "gateway/config/v1/config.pb.h"

namespace gw::testing {

// Models gpt-4o, gpt-4o-mini and text-embedding-3-small of provider "openai"; team-a may use
// every model, team-b gpt-4o-mini and text-embedding-3-small plus "future-model" (which does
// not exist yet).
inline gateway::config::v1::Snapshot MakeSnapshot(int64_t version) {
  gateway::config::v1::Snapshot snapshot;
  snapshot.set_version(version);
  snapshot.set_required_feature_level(1);
  snapshot.mutable_created_at()->set_seconds(1764000000);
  auto* config = snapshot.mutable_config();
  auto* provider = config->add_providers();
  provider->set_name("openai");
  provider->set_type(gateway::config::v1::PROVIDER_TYPE_OPENAI);
  provider->set_base_url("https://api.openai.com/v1");
  provider->set_credential_ref("env:OPENAI_API_KEY");
  for (const char* name : {"gpt-4o-mini", "text-embedding-3-small", "gpt-4o"}) {
    auto* model = config->add_models();
    model->set_name(name);
    model->set_provider("openai");
  }
  config->add_teams()->set_name("team-a");
  auto* team_b = config->add_teams();
  team_b->set_name("team-b");
  team_b->add_allowed_models("text-embedding-3-small");
  team_b->add_allowed_models("gpt-4o-mini");
  team_b->add_allowed_models("future-model");
  return snapshot;
}

inline gateway::config::v1::KeyEntry& AddKey(gateway::config::v1::Snapshot& snapshot,
                                             const std::string& id, const std::string& plaintext,
                                             const std::string& team,
                                             const std::vector<std::string>& allowed_models = {}) {
  auto* key = snapshot.add_keys();
  key->set_id(id);
  key->set_sha256(Sha256(plaintext));
  key->set_team(team);
  key->set_prefix(plaintext.substr(0, 12));
  for (const std::string& model : allowed_models) key->add_allowed_models(model);
  return *key;
}

inline void SetExpiry(gateway::config::v1::KeyEntry& key, absl::Time expires_at) {
  key.mutable_expires_at()->set_seconds(absl::ToUnixSeconds(expires_at));
}

inline std::string Serialized(const gateway::config::v1::Snapshot& snapshot) {
  return snapshot.SerializeAsString();
}

}  // namespace gw::testing
