// RAII over one SQLite connection: Database (the sqlite3*), Statement (a prepared sqlite3_stmt*
// with typed binds and columns) and Transaction (BEGIN IMMEDIATE, rolled back unless committed).
//   GW_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
//   GW_ASSIGN_OR_RETURN(Statement st, tx.db().Prepare("INSERT INTO t (a, b) VALUES (?1, ?2)"));
//   GW_RETURN_IF_ERROR(st.Bind(int64_t{1}, "x"));
//   GW_RETURN_IF_ERROR(st.Run());
//   GW_RETURN_IF_ERROR(tx.Commit());
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct sqlite3;
struct sqlite3_stmt;

namespace gw::cp {

// Marks a value to bind as a BLOB rather than TEXT (digests, raw bytes).
struct Blob {
  absl::string_view bytes;
};

// A prepared statement. Use it only while holding the connection's lock (inside a Transaction or
// under Database::Lock()), and destroy it before the Database.
class Statement {
 public:
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  ~Statement();

  // Parameters are numbered from 1, as in SQLite.
  absl::Status BindInt64(int index, int64_t value);
  absl::Status BindText(int index, absl::string_view value);
  absl::Status BindBlob(int index, absl::string_view bytes);
  absl::Status BindNull(int index);
  absl::Status BindOptionalInt64(int index, std::optional<int64_t> value);

  // Resets the statement and binds `values` to parameters 1..N by type: integers as INTEGER,
  // strings as TEXT, Blob as BLOB, std::nullopt as NULL, std::optional<int64_t> as either.
  template <typename... Values>
  absl::Status Bind(const Values&... values);

  // Advances to the next row: true when a row is available, false when the statement is done.
  absl::StatusOr<bool> Step();
  // Steps until done (discarding any rows), then resets so the statement can run again.
  absl::Status Run();
  // Rewinds the statement and clears its bindings.
  absl::Status Reset();

  // Columns are numbered from 0, as in SQLite; valid after Step() returned true.
  bool ColumnIsNull(int column) const;
  int64_t ColumnInt64(int column) const;
  std::optional<int64_t> ColumnOptionalInt64(int column) const;
  std::string ColumnText(int column) const;
  std::string ColumnBlob(int column) const;

 private:
  friend class Database;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  absl::Status Check(int rc) const;

  template <typename Value>
  absl::Status BindOne(int index, const Value& value);

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// One connection. SQLite interleaves the transactions of threads sharing a connection, so every
// user serialises on the connection's mutex: a Transaction holds it for its whole life, other
// access takes Lock().
class Database {
 public:
  // Opens or creates `path` and sets, outside any transaction: busy_timeout 5 s, WAL journal,
  // foreign keys on, synchronous=FULL (WAL with FULL survives a power cut, NORMAL does not).
  static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& path);

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  absl::StatusOr<Statement> Prepare(absl::string_view sql);
  // Runs one or more statements that return no rows needed (schema scripts, pragmas).
  absl::Status Execute(absl::string_view sql);

  // Rows changed by every INSERT, UPDATE and DELETE since the connection opened.
  int64_t TotalChanges() const;

  // Serialises access to the connection for work outside a Transaction (reads).
  [[nodiscard]] std::unique_lock<std::mutex> Lock() { return std::unique_lock(mutex_); }

  const std::string& path() const { return path_; }

 private:
  friend class Transaction;
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
  std::mutex mutex_;
};

// BEGIN IMMEDIATE on construction (taking the write lock up front, so a transaction never fails
// half-way with SQLITE_BUSY on upgrade), ROLLBACK on destruction unless Commit() succeeded.
// Holds the Database's mutex until it commits or is destroyed: do not nest, and do not call
// Database::Lock() while one is open on the same thread.
class Transaction {
 public:
  static absl::StatusOr<Transaction> Begin(Database& db);

  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  // On success the transaction is over and the connection's mutex released; on failure it stays
  // open (and locked) until destruction rolls it back.
  absl::Status Commit();
  Database& db() { return *db_; }

 private:
  Transaction(Database* db, std::unique_lock<std::mutex> lock) : db_(db), lock_(std::move(lock)) {}

  Database* db_;
  std::unique_lock<std::mutex> lock_;
  bool open_ = true;
};

// Internals below.

template <typename Value>
absl::Status Statement::BindOne(int index, const Value& value) {
  if constexpr (std::is_same_v<Value, Blob>) {
    return BindBlob(index, value.bytes);
  } else if constexpr (std::is_same_v<Value, std::nullopt_t>) {
    return BindNull(index);
  } else if constexpr (std::is_same_v<Value, std::optional<int64_t>>) {
    return BindOptionalInt64(index, value);
  } else if constexpr (std::is_integral_v<Value> && !std::is_same_v<Value, bool>) {
    return BindInt64(index, static_cast<int64_t>(value));
  } else {
    static_assert(std::is_convertible_v<const Value&, absl::string_view>,
                  "Bind takes integers, strings, Blob, std::nullopt or std::optional<int64_t>");
    return BindText(index, absl::string_view(value));
  }
}

template <typename... Values>
absl::Status Statement::Bind(const Values&... values) {
  absl::Status status = Reset();
  int index = 0;
  ((status.ok() ? (status = BindOne(++index, values), 0) : 0), ...);
  return status;
}

}  // namespace gw::cp
