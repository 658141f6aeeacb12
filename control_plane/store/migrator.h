// Schema migrations: applies the pending ones in version order, each in its own transaction, and
// records them in schema_migrations. The real list is embedded in the binary at build time.
//   GW_ASSIGN_OR_RETURN(int64_t schema_version, ApplyMigrations(db, EmbeddedMigrations()));
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "control_plane/store/database.h"

namespace gw::cp {

struct Migration {
  int64_t version;   // From the file name's number: 0001_init.sql is version 1.
  std::string name;  // From the file name's rest: "init".
  std::string sql;   // Any number of statements; no BEGIN/COMMIT (the runner owns the transaction).
};

// The migrations/NNNN_name.sql files of the source tree, compiled into the binary.
const std::vector<Migration>& EmbeddedMigrations();

// Applies, in version order, every migration newer than the highest version recorded in
// `db`, each in one transaction with its schema_migrations row (version, name, applied_at in
// unix microseconds) and a foreign-key check, so a failing migration leaves no trace. Returns the
// schema version afterwards. INVALID_ARGUMENT for a list with repeated or non-positive versions;
// FAILED_PRECONDITION when `db` records a version newer than the newest in `migrations` (it was
// written by a newer binary).
absl::StatusOr<int64_t> ApplyMigrations(Database& db, absl::Span<const Migration> migrations);

}  // namespace gw::cp
