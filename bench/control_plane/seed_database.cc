#include "bench/control_plane/seed_database.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/api_key.h"
#include "common/status_macros.h"
#include "control_plane/store/config_store.h"
#include "control_plane/store/database.h"
#include "control_plane/store/key_table.h"

namespace gw::bench {
namespace {

namespace cfg = gateway::config::v1;

constexpr const char* kModels[] = {"gpt-4o", "gpt-4o-mini", "claude-sonnet", "llama-70b"};

absl::Status AddTeamsAndModels(cp::ConfigStore& store, int teams) {
  return store
      .MutateConfig([teams](cfg::GatewayConfig& config) {
        cfg::Provider* provider = config.add_providers();
        provider->set_name("bench-provider");
        provider->set_type(cfg::PROVIDER_TYPE_OPENAI_COMPATIBLE);
        provider->set_base_url("http://127.0.0.1:9/v1");
        provider->set_credential_ref("env:BENCH_PROVIDER_KEY");
        for (const char* name : kModels) {
          cfg::Model* model = config.add_models();
          model->set_name(name);
          model->set_provider("bench-provider");
        }
        for (int i = 0; i < teams; ++i) {
          cfg::Team* team = config.add_teams();
          team->set_name(absl::StrFormat("team-%05d", i));
          team->set_tier(cfg::TIER_STANDARD);
          // A realistic mix: some teams are limited to two models, some have a budget.
          if (i % 5 == 0) {
            team->add_allowed_models(kModels[0]);
            team->add_allowed_models(kModels[1]);
          }
          if (i % 3 == 0) team->mutable_monthly_budget_micro_usd()->set_value(1'000'000'000);
        }
        return absl::OkStatus();
      })
      .status();
}

// The store's own write path for keys, minus the per-key snapshot rebuild: InsertKey for each
// key and one version bump, in one transaction.
absl::StatusOr<int64_t> AddKeys(cp::Database& db, const SeedOptions& options,
                                std::vector<SeededKey>& samples) {
  const int64_t now = absl::ToUnixMicros(absl::Now());
  GW_ASSIGN_OR_RETURN(cp::Transaction tx, cp::Transaction::Begin(db));
  for (int i = 0; i < options.keys; ++i) {
    GW_ASSIGN_OR_RETURN(GeneratedKey generated, GenerateApiKey());
    cp::KeyRecord record;
    GW_ASSIGN_OR_RETURN(record.id, GenerateId("key_"));
    record.team = absl::StrFormat("team-%05d", i % options.teams);
    record.name = absl::StrCat("svc-", i / options.teams);
    record.prefix = generated.prefix;
    record.sha256 = generated.sha256;
    record.created_at = now + i;  // Creation order, as one-by-one creation would give.
    if (i % 4 == 1) record.allowed_models.push_back(kModels[0]);
    GW_RETURN_IF_ERROR(cp::InsertKey(tx.db(), record));
    if (static_cast<int>(samples.size()) < options.sample_keys && i % 4 != 1) {
      samples.push_back({record.id, record.team, std::move(generated.plaintext)});
    }
  }
  GW_ASSIGN_OR_RETURN(cp::Statement bump,
                      tx.db().Prepare("UPDATE config_version SET version = version + 1, "
                                      "updated_at = ?1 WHERE id = 1 RETURNING version"));
  GW_RETURN_IF_ERROR(bump.Bind(now));
  GW_ASSIGN_OR_RETURN(bool row, bump.Step());
  if (!row) return absl::DataLossError("config_version row is missing");
  const int64_t version = bump.ColumnInt64(0);
  GW_RETURN_IF_ERROR(bump.Run());
  GW_RETURN_IF_ERROR(tx.Commit());
  return version;
}

}  // namespace

absl::StatusOr<SeededDatabase> SeedDatabase(const std::string& path, const SeedOptions& options) {
  if (options.teams < 1 || options.keys < 0) {
    return absl::InvalidArgumentError("need at least one team and no negative key count");
  }
  GW_ASSIGN_OR_RETURN(std::unique_ptr<cp::ConfigStore> store, cp::ConfigStore::Open(path));
  GW_RETURN_IF_ERROR(AddTeamsAndModels(*store, options.teams));
  SeededDatabase seeded;
  GW_ASSIGN_OR_RETURN(seeded.version, AddKeys(store->database(), options, seeded.samples));
  return seeded;
}

}  // namespace gw::bench
