#include "control_plane/store/config_tables.h"

#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/config_resources.h"
#include "common/status_macros.h"

namespace gw::cp {
namespace cfg = gateway::config::v1;
namespace {

using google::protobuf::RepeatedPtrField;

const std::string& TeamName(const cfg::Team& t) { return t.name(); }
const std::string& ProviderName(const cfg::Provider& p) { return p.name(); }
const std::string& ModelName(const cfg::Model& m) { return m.name(); }
const std::string& RouteName(const cfg::Route& r) { return r.task(); }
const std::string& PriceName(const cfg::ModelPrice& p) { return p.model(); }

// Walks two lists sorted by name in step: `upsert(item, existed)` for each item of `after` that
// is new or differs, `remove(item)` for each item of `before` absent from `after`.
template <typename T, typename NameOf, typename Upsert, typename Remove>
absl::Status ForEachDifference(const RepeatedPtrField<T>& before, const RepeatedPtrField<T>& after,
                               NameOf name_of, Upsert upsert, Remove remove) {
  int i = 0;
  int j = 0;
  while (i < before.size() || j < after.size()) {
    if (j == after.size() || (i < before.size() && name_of(before[i]) < name_of(after[j]))) {
      GW_RETURN_IF_ERROR(remove(before[i]));
      ++i;
    } else if (i == before.size() || name_of(after[j]) < name_of(before[i])) {
      GW_RETURN_IF_ERROR(upsert(after[j], /*existed=*/false));
      ++j;
    } else {
      if (!google::protobuf::util::MessageDifferencer::Equals(before[i], after[j])) {
        GW_RETURN_IF_ERROR(upsert(after[j], /*existed=*/true));
      }
      ++i;
      ++j;
    }
  }
  return absl::OkStatus();
}

std::optional<int64_t> OptionalValue(bool has, const google::protobuf::Int64Value& value) {
  return has ? std::optional<int64_t>(value.value()) : std::nullopt;
}

void SetOptional(const Statement& st, int column,
                 google::protobuf::Int64Value* (cfg::Team::*field)(), cfg::Team* team) {
  if (!st.ColumnIsNull(column)) (team->*field)()->set_value(st.ColumnInt64(column));
}

// Prepares each statement once per write, however many rows it writes.
class RowWriter {
 public:
  RowWriter(Database& db, int64_t now) : db_(db), now_(now) {}

  template <typename... Values>
  absl::Status Exec(const char* sql, const Values&... values) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
      GW_ASSIGN_OR_RETURN(Statement st, db_.Prepare(sql));
      it = statements_.emplace(sql, std::move(st)).first;
    }
    GW_RETURN_IF_ERROR(it->second.Bind(values...));
    return it->second.Run();
  }

  template <typename List>
  absl::Status ReplaceChildren(const char* delete_sql, const char* insert_sql,
                               const std::string& parent, const List& children, bool existed) {
    if (existed) GW_RETURN_IF_ERROR(Exec(delete_sql, parent));
    int64_t position = 0;
    for (const std::string& child : children) {
      GW_RETURN_IF_ERROR(Exec(insert_sql, parent, position++, child));
    }
    return absl::OkStatus();
  }

  int64_t now() const { return now_; }

 private:
  Database& db_;
  int64_t now_;
  absl::flat_hash_map<const char*, Statement> statements_;
};

absl::Status UpsertTeam(RowWriter& w, const cfg::Team& t, bool existed) {
  GW_RETURN_IF_ERROR(
      w.Exec("INSERT INTO teams (name, tier, max_tokens_per_request, rpm, tpm, max_concurrent, "
             "monthly_budget_micro_usd, guardrail_level, created_at, updated_at) "
             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) "
             "ON CONFLICT (name) DO UPDATE SET tier = excluded.tier, "
             "max_tokens_per_request = excluded.max_tokens_per_request, rpm = excluded.rpm, "
             "tpm = excluded.tpm, max_concurrent = excluded.max_concurrent, "
             "monthly_budget_micro_usd = excluded.monthly_budget_micro_usd, "
             "guardrail_level = excluded.guardrail_level, updated_at = excluded.updated_at",
             t.name(), static_cast<int64_t>(t.tier()),
             OptionalValue(t.has_max_tokens_per_request(), t.max_tokens_per_request()),
             OptionalValue(t.has_rpm(), t.rpm()), OptionalValue(t.has_tpm(), t.tpm()),
             OptionalValue(t.has_max_concurrent(), t.max_concurrent()),
             OptionalValue(t.has_monthly_budget_micro_usd(), t.monthly_budget_micro_usd()),
             static_cast<int64_t>(t.guardrail_level()), w.now()));
  return w.ReplaceChildren("DELETE FROM team_allowed_models WHERE team = ?1",
                           "INSERT INTO team_allowed_models (team, position, model) "
                           "VALUES (?1, ?2, ?3)",
                           t.name(), t.allowed_models(), existed);
}

absl::Status UpsertProvider(RowWriter& w, const cfg::Provider& p) {
  return w.Exec(
      "INSERT INTO providers (name, type, base_url, credential_ref, created_at, updated_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?5) "
      "ON CONFLICT (name) DO UPDATE SET type = excluded.type, base_url = excluded.base_url, "
      "credential_ref = excluded.credential_ref, updated_at = excluded.updated_at",
      p.name(), static_cast<int64_t>(p.type()), p.base_url(), p.credential_ref(), w.now());
}

absl::Status UpsertModel(RowWriter& w, const cfg::Model& m, bool existed) {
  GW_RETURN_IF_ERROR(
      w.Exec("INSERT INTO models (name, provider, upstream_model, context_window, created_at, "
             "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5) "
             "ON CONFLICT (name) DO UPDATE SET provider = excluded.provider, "
             "upstream_model = excluded.upstream_model, context_window = excluded.context_window, "
             "updated_at = excluded.updated_at",
             m.name(), m.provider(), m.upstream_model(), m.context_window(), w.now()));
  return w.ReplaceChildren("DELETE FROM model_capabilities WHERE model = ?1",
                           "INSERT INTO model_capabilities (model, position, capability) "
                           "VALUES (?1, ?2, ?3)",
                           m.name(), m.capabilities(), existed);
}

absl::Status UpsertRoute(RowWriter& w, const cfg::Route& r, bool existed) {
  GW_RETURN_IF_ERROR(
      w.Exec("INSERT INTO routes (task, primary_model, strategy, created_at, updated_at) "
             "VALUES (?1, ?2, ?3, ?4, ?4) "
             "ON CONFLICT (task) DO UPDATE SET primary_model = excluded.primary_model, "
             "strategy = excluded.strategy, updated_at = excluded.updated_at",
             r.task(), r.primary(), static_cast<int64_t>(r.strategy()), w.now()));
  return w.ReplaceChildren("DELETE FROM route_fallbacks WHERE route = ?1",
                           "INSERT INTO route_fallbacks (route, position, model) "
                           "VALUES (?1, ?2, ?3)",
                           r.task(), r.fallbacks(), existed);
}

absl::Status UpsertPrice(RowWriter& w, const cfg::ModelPrice& p) {
  return w.Exec(
      "INSERT INTO prices (model, input_micro_usd_per_mtok, cached_input_micro_usd_per_mtok, "
      "output_micro_usd_per_mtok, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5) "
      "ON CONFLICT (model) DO UPDATE SET "
      "input_micro_usd_per_mtok = excluded.input_micro_usd_per_mtok, "
      "cached_input_micro_usd_per_mtok = excluded.cached_input_micro_usd_per_mtok, "
      "output_micro_usd_per_mtok = excluded.output_micro_usd_per_mtok, "
      "updated_at = excluded.updated_at",
      p.model(), p.input_micro_usd_per_mtok(), p.cached_input_micro_usd_per_mtok(),
      p.output_micro_usd_per_mtok(), w.now());
}

// Calls `row(statement)` for every row of `sql`.
template <typename OnRow>
absl::Status ForEachRow(Database& db, const char* sql, OnRow row) {
  GW_ASSIGN_OR_RETURN(Statement st, db.Prepare(sql));
  while (true) {
    GW_ASSIGN_OR_RETURN(bool has_row, st.Step());
    if (!has_row) return absl::OkStatus();
    GW_RETURN_IF_ERROR(row(st));
  }
}

// Appends child rows (parent, value), ordered by parent and position, to their parents.
template <typename T>
absl::Status LoadChildren(Database& db, const char* sql,
                          const absl::flat_hash_map<std::string, T*>& parents,
                          RepeatedPtrField<std::string>* (T::*list)()) {
  return ForEachRow(db, sql, [&](const Statement& st) {
    auto it = parents.find(st.ColumnText(0));
    if (it == parents.end()) {
      return absl::DataLossError(absl::StrCat("orphan row in '", sql, "'"));
    }
    ((it->second)->*list)()->Add(st.ColumnText(1));
    return absl::OkStatus();
  });
}

}  // namespace

absl::StatusOr<cfg::GatewayConfig> LoadConfig(Database& db) {
  cfg::GatewayConfig config;

  absl::flat_hash_map<std::string, cfg::Team*> teams;
  GW_RETURN_IF_ERROR(
      ForEachRow(db,
                 "SELECT name, tier, max_tokens_per_request, rpm, tpm, max_concurrent, "
                 "monthly_budget_micro_usd, guardrail_level FROM teams ORDER BY name",
                 [&](const Statement& st) {
                   cfg::Team* team = config.add_teams();
                   team->set_name(st.ColumnText(0));
                   team->set_tier(static_cast<cfg::Tier>(st.ColumnInt64(1)));
                   SetOptional(st, 2, &cfg::Team::mutable_max_tokens_per_request, team);
                   SetOptional(st, 3, &cfg::Team::mutable_rpm, team);
                   SetOptional(st, 4, &cfg::Team::mutable_tpm, team);
                   SetOptional(st, 5, &cfg::Team::mutable_max_concurrent, team);
                   SetOptional(st, 6, &cfg::Team::mutable_monthly_budget_micro_usd, team);
                   team->set_guardrail_level(static_cast<cfg::GuardrailLevel>(st.ColumnInt64(7)));
                   teams.emplace(team->name(), team);
                   return absl::OkStatus();
                 }));
  GW_RETURN_IF_ERROR(
      LoadChildren(db, "SELECT team, model FROM team_allowed_models ORDER BY team, position", teams,
                   &cfg::Team::mutable_allowed_models));

  GW_RETURN_IF_ERROR(
      ForEachRow(db, "SELECT name, type, base_url, credential_ref FROM providers ORDER BY name",
                 [&](const Statement& st) {
                   cfg::Provider* provider = config.add_providers();
                   provider->set_name(st.ColumnText(0));
                   provider->set_type(static_cast<cfg::ProviderType>(st.ColumnInt64(1)));
                   provider->set_base_url(st.ColumnText(2));
                   provider->set_credential_ref(st.ColumnText(3));
                   return absl::OkStatus();
                 }));

  absl::flat_hash_map<std::string, cfg::Model*> models;
  GW_RETURN_IF_ERROR(ForEachRow(
      db, "SELECT name, provider, upstream_model, context_window FROM models ORDER BY name",
      [&](const Statement& st) {
        cfg::Model* model = config.add_models();
        model->set_name(st.ColumnText(0));
        model->set_provider(st.ColumnText(1));
        model->set_upstream_model(st.ColumnText(2));
        model->set_context_window(st.ColumnInt64(3));
        models.emplace(model->name(), model);
        return absl::OkStatus();
      }));
  GW_RETURN_IF_ERROR(
      LoadChildren(db, "SELECT model, capability FROM model_capabilities ORDER BY model, position",
                   models, &cfg::Model::mutable_capabilities));

  absl::flat_hash_map<std::string, cfg::Route*> routes;
  GW_RETURN_IF_ERROR(
      ForEachRow(db, "SELECT task, primary_model, strategy FROM routes ORDER BY task",
                 [&](const Statement& st) {
                   cfg::Route* route = config.add_routes();
                   route->set_task(st.ColumnText(0));
                   route->set_primary(st.ColumnText(1));
                   route->set_strategy(static_cast<cfg::RoutingStrategy>(st.ColumnInt64(2)));
                   routes.emplace(route->task(), route);
                   return absl::OkStatus();
                 }));
  GW_RETURN_IF_ERROR(
      LoadChildren(db, "SELECT route, model FROM route_fallbacks ORDER BY route, position", routes,
                   &cfg::Route::mutable_fallbacks));

  GW_RETURN_IF_ERROR(
      ForEachRow(db,
                 "SELECT model, input_micro_usd_per_mtok, cached_input_micro_usd_per_mtok, "
                 "output_micro_usd_per_mtok FROM prices ORDER BY model",
                 [&](const Statement& st) {
                   cfg::ModelPrice* price = config.add_prices();
                   price->set_model(st.ColumnText(0));
                   price->set_input_micro_usd_per_mtok(st.ColumnInt64(1));
                   price->set_cached_input_micro_usd_per_mtok(st.ColumnInt64(2));
                   price->set_output_micro_usd_per_mtok(st.ColumnInt64(3));
                   return absl::OkStatus();
                 }));

  // SQLite's BINARY collation orders as std::string does; sorting again costs little and keeps
  // the canonical order independent of that.
  CanonicalizeConfig(config);
  return config;
}

int64_t CountConfigDifferences(const cfg::GatewayConfig& before, const cfg::GatewayConfig& after) {
  int64_t count = 0;
  auto upsert = [&](const auto&, bool) {
    ++count;
    return absl::OkStatus();
  };
  auto remove = [&](const auto&) {
    ++count;
    return absl::OkStatus();
  };
  // The callbacks never fail.
  ForEachDifference(before.teams(), after.teams(), TeamName, upsert, remove).IgnoreError();
  ForEachDifference(before.providers(), after.providers(), ProviderName, upsert, remove)
      .IgnoreError();
  ForEachDifference(before.models(), after.models(), ModelName, upsert, remove).IgnoreError();
  ForEachDifference(before.routes(), after.routes(), RouteName, upsert, remove).IgnoreError();
  ForEachDifference(before.prices(), after.prices(), PriceName, upsert, remove).IgnoreError();
  return count;
}

absl::StatusOr<ConfigDiffStats> WriteConfigDiff(Database& db, const cfg::GatewayConfig& before,
                                                const cfg::GatewayConfig& after,
                                                int64_t now_micros) {
  RowWriter w(db, now_micros);
  ConfigDiffStats stats;
  // References between resources are deferred to COMMIT, so the order below only matters for
  // cascades: a deleted model takes its price along, which `after` no longer has either.
  GW_RETURN_IF_ERROR(ForEachDifference(
      before.teams(), after.teams(), TeamName,
      [&](const cfg::Team& t, bool existed) {
        ++stats.resources_written;
        return UpsertTeam(w, t, existed);
      },
      [&](const cfg::Team& t) {
        ++stats.resources_written;
        stats.deleted_teams.push_back(t.name());
        return w.Exec("DELETE FROM teams WHERE name = ?1", t.name());
      }));
  GW_RETURN_IF_ERROR(ForEachDifference(
      before.providers(), after.providers(), ProviderName,
      [&](const cfg::Provider& p, bool) {
        ++stats.resources_written;
        return UpsertProvider(w, p);
      },
      [&](const cfg::Provider& p) {
        ++stats.resources_written;
        return w.Exec("DELETE FROM providers WHERE name = ?1", p.name());
      }));
  GW_RETURN_IF_ERROR(ForEachDifference(
      before.models(), after.models(), ModelName,
      [&](const cfg::Model& m, bool existed) {
        ++stats.resources_written;
        return UpsertModel(w, m, existed);
      },
      [&](const cfg::Model& m) {
        ++stats.resources_written;
        return w.Exec("DELETE FROM models WHERE name = ?1", m.name());
      }));
  GW_RETURN_IF_ERROR(ForEachDifference(
      before.routes(), after.routes(), RouteName,
      [&](const cfg::Route& r, bool existed) {
        ++stats.resources_written;
        return UpsertRoute(w, r, existed);
      },
      [&](const cfg::Route& r) {
        ++stats.resources_written;
        return w.Exec("DELETE FROM routes WHERE task = ?1", r.task());
      }));
  GW_RETURN_IF_ERROR(ForEachDifference(
      before.prices(), after.prices(), PriceName,
      [&](const cfg::ModelPrice& p, bool) {
        ++stats.resources_written;
        return UpsertPrice(w, p);
      },
      [&](const cfg::ModelPrice& p) {
        ++stats.resources_written;
        return w.Exec("DELETE FROM prices WHERE model = ?1", p.model());
      }));
  return stats;
}

}  // namespace gw::cp
