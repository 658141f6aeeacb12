#include "control_plane/store/database.h"

#include <sqlite3.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace gw::cp {
namespace {

// Messages carry SQLite's text and code only: SQL is always parameterised, so no bound value (a
// digest, a name) reaches an error message.
absl::Status SqliteError(sqlite3* db, int rc, absl::string_view context) {
  const int extended = db != nullptr ? sqlite3_extended_errcode(db) : rc;
  std::string message =
      absl::StrCat(context, ": ", db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc),
                   " (sqlite code ", extended, ")");
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      if (extended == SQLITE_CONSTRAINT_UNIQUE || extended == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return absl::AlreadyExistsError(message);
      }
      return absl::FailedPreconditionError(message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
      return absl::UnavailableError(message);
    case SQLITE_FULL:
      return absl::ResourceExhaustedError(message);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(message);
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
      return absl::InvalidArgumentError(message);
    default:
      return absl::InternalError(message);
  }
}

}  // namespace

// ---- Statement ----

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

absl::Status Statement::Check(int rc) const {
  if (rc == SQLITE_OK) return absl::OkStatus();
  return SqliteError(db_, rc, "sqlite bind");
}

absl::Status Statement::BindInt64(int index, int64_t value) {
  return Check(sqlite3_bind_int64(stmt_, index, value));
}

absl::Status Statement::BindText(int index, absl::string_view value) {
  return Check(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
}

absl::Status Statement::BindBlob(int index, absl::string_view bytes) {
  // A null data pointer would bind NULL instead of an empty blob.
  static constexpr char kEmpty[1] = {0};
  return Check(sqlite3_bind_blob64(stmt_, index, bytes.empty() ? kEmpty : bytes.data(),
                                   bytes.size(), SQLITE_TRANSIENT));
}

absl::Status Statement::BindNull(int index) { return Check(sqlite3_bind_null(stmt_, index)); }

absl::Status Statement::BindOptionalInt64(int index, std::optional<int64_t> value) {
  return value.has_value() ? BindInt64(index, *value) : BindNull(index);
}

absl::StatusOr<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  absl::Status error = SqliteError(db_, rc, "sqlite step");
  sqlite3_reset(stmt_);
  return error;
}

absl::Status Statement::Run() {
  while (true) {
    absl::StatusOr<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
  }
  sqlite3_reset(stmt_);
  return absl::OkStatus();
}

absl::Status Statement::Reset() {
  // sqlite3_reset repeats the last step's error, which Step() already reported.
  sqlite3_reset(stmt_);
  return Check(sqlite3_clear_bindings(stmt_));
}

bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int64_t Statement::ColumnInt64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::optional<int64_t> Statement::ColumnOptionalInt64(int column) const {
  if (ColumnIsNull(column)) return std::nullopt;
  return ColumnInt64(column);
}

std::string Statement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::string Statement::ColumnBlob(int column) const {
  const void* blob = sqlite3_column_blob(stmt_, column);
  if (blob == nullptr) return std::string();
  return std::string(static_cast<const char*>(blob),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

// ---- Database ----

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path) {
  sqlite3* handle = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status error = SqliteError(handle, rc, absl::StrCat("cannot open database ", path));
    sqlite3_close_v2(handle);
    return error;
  }
  std::unique_ptr<Database> db(new Database(handle, path));
  sqlite3_extended_result_codes(handle, 1);
  sqlite3_busy_timeout(handle, 5000);

  // These pragmas are silently ignored inside a transaction; a fresh connection has none open.
  absl::StatusOr<Statement> journal = db->Prepare("PRAGMA journal_mode=WAL");
  if (!journal.ok()) return journal.status();
  absl::StatusOr<bool> row = journal->Step();
  if (!row.ok()) return row.status();
  const std::string mode = *row ? absl::AsciiStrToLower(journal->ColumnText(0)) : "";
  if (mode != "wal" && !(mode == "memory" && (path == ":memory:" || path.empty()))) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot switch ", path, " to WAL journal mode (got '", mode, "')"));
  }
  journal = Statement();
  absl::Status pragmas = db->Execute("PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;");
  if (!pragmas.ok()) return pragmas;

  absl::StatusOr<Statement> check = db->Prepare("PRAGMA foreign_keys");
  if (!check.ok()) return check.status();
  row = check->Step();
  if (!row.ok()) return row.status();
  if (!*row || check->ColumnInt64(0) != 1) {
    return absl::FailedPreconditionError("this SQLite build does not enforce foreign keys");
  }
  return db;
}

Database::~Database() {
  // Unfinalised statements would keep the connection alive; _v2 closes once they are gone.
  sqlite3_close_v2(db_);
}

absl::StatusOr<Statement> Database::Prepare(absl::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, "sqlite prepare");
  if (stmt == nullptr) return absl::InvalidArgumentError("sqlite prepare: empty statement");
  return Statement(db_, stmt);
}

absl::Status Database::Execute(absl::string_view sql) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, "sqlite exec");
  return absl::OkStatus();
}

int64_t Database::TotalChanges() const { return sqlite3_total_changes64(db_); }

// ---- Transaction ----

absl::StatusOr<Transaction> Transaction::Begin(Database& db) {
  std::unique_lock lock(db.mutex_);
  const int rc = sqlite3_exec(db.db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db.db_, rc, "sqlite begin");
  return Transaction(&db, std::move(lock));
}

Transaction::Transaction(Transaction&& other) noexcept
    : db_(other.db_), lock_(std::move(other.lock_)), open_(std::exchange(other.open_, false)) {}

Transaction::~Transaction() {
  // SQLite rolls back by itself after some errors (SQLITE_FULL, IOERR, BUSY); a second ROLLBACK
  // would only fail.
  if (open_ && !sqlite3_get_autocommit(db_->db_)) {
    sqlite3_exec(db_->db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

absl::Status Transaction::Commit() {
  if (!open_) return absl::FailedPreconditionError("transaction already finished");
  const int rc = sqlite3_exec(db_->db_, "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_->db_, rc, "sqlite commit");
  open_ = false;
  lock_.unlock();
  return absl::OkStatus();
}

}  // namespace gw::cp
