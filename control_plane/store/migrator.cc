#include "control_plane/store/migrator.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status_macros.h"

namespace gw::cp {
namespace {

constexpr absl::string_view kCreateMigrationsTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY NOT NULL CHECK (version > 0),
  name       TEXT NOT NULL,
  applied_at INTEGER NOT NULL
) STRICT;
)sql";

absl::Status ApplyOne(Database& db, const Migration& migration) {
  GW_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  absl::Status applied = tx.db().Execute(migration.sql);
  if (!applied.ok()) {
    return absl::Status(applied.code(), absl::StrCat("migration ", migration.version, " (",
                                                     migration.name, "): ", applied.message()));
  }
  {
    GW_ASSIGN_OR_RETURN(Statement violations, tx.db().Prepare("PRAGMA foreign_key_check"));
    GW_ASSIGN_OR_RETURN(bool any, violations.Step());
    if (any) {
      return absl::FailedPreconditionError(
          absl::StrCat("migration ", migration.version, " (", migration.name,
                       ") leaves a foreign key violation in table ", violations.ColumnText(0)));
    }
  }
  GW_ASSIGN_OR_RETURN(Statement record,
                      tx.db().Prepare("INSERT INTO schema_migrations (version, name, applied_at) "
                                      "VALUES (?1, ?2, ?3)"));
  GW_RETURN_IF_ERROR(
      record.Bind(migration.version, migration.name, absl::ToUnixMicros(absl::Now())));
  GW_RETURN_IF_ERROR(record.Run());
  record = Statement();
  return tx.Commit();
}

}  // namespace

absl::StatusOr<int64_t> ApplyMigrations(Database& db, absl::Span<const Migration> migrations) {
  std::vector<const Migration*> ordered;
  for (const Migration& migration : migrations) ordered.push_back(&migration);
  std::sort(ordered.begin(), ordered.end(),
            [](const Migration* a, const Migration* b) { return a->version < b->version; });
  for (size_t i = 0; i < ordered.size(); ++i) {
    if (ordered[i]->version <= 0 || (i > 0 && ordered[i]->version == ordered[i - 1]->version)) {
      return absl::InvalidArgumentError(
          absl::StrCat("migration version ", ordered[i]->version, " is repeated or not positive"));
    }
  }
  const int64_t newest_known = ordered.empty() ? 0 : ordered.back()->version;

  int64_t current = 0;
  {
    GW_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
    GW_RETURN_IF_ERROR(tx.db().Execute(kCreateMigrationsTable));
    {
      GW_ASSIGN_OR_RETURN(
          Statement highest,
          tx.db().Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
      GW_ASSIGN_OR_RETURN(bool row, highest.Step());
      if (row) current = highest.ColumnInt64(0);
    }
    GW_RETURN_IF_ERROR(tx.Commit());
  }
  if (current > newest_known) {
    return absl::FailedPreconditionError(absl::StrCat(
        "database schema version ", current, " is newer than the newest this binary knows (",
        newest_known, "); run a newer binary or restore a backup"));
  }
  for (const Migration* migration : ordered) {
    if (migration->version <= current) continue;
    GW_RETURN_IF_ERROR(ApplyOne(db, *migration));
    current = migration->version;
  }
  return current;
}

}  // namespace gw::cp
