#include "control_plane/store/database.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "tests/control_plane/store/store_test_util.h"

namespace gw::cp {
namespace {

using ::gw::testing::IsOk;
using ::gw::testing::StatusIs;
using ::gw::testing::TempDbDir;

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::Open(dir_.Path("test.db"));
    ASSERT_THAT(db, IsOk());
    db_ = *std::move(db);
    ASSERT_THAT(db_->Execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, data BLOB, n "
                             "INTEGER) STRICT"),
                IsOk());
  }

  int64_t CountRows() {
    auto lock = db_->Lock();
    auto st = db_->Prepare("SELECT COUNT(*) FROM t");
    EXPECT_THAT(st, IsOk());
    auto row = st->Step();
    EXPECT_TRUE(row.ok() && *row);
    return st->ColumnInt64(0);
  }

  std::string Pragma(const std::string& name) {
    auto lock = db_->Lock();
    auto st = db_->Prepare("PRAGMA " + name);
    EXPECT_THAT(st, IsOk());
    auto row = st->Step();
    EXPECT_TRUE(row.ok() && *row);
    return st->ColumnText(0);
  }

  TempDbDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(DatabaseTest, OpenSetsWalForeignKeysFullSyncAndBusyTimeout) {
  EXPECT_EQ(Pragma("journal_mode"), "wal");
  EXPECT_EQ(Pragma("foreign_keys"), "1");
  EXPECT_EQ(Pragma("synchronous"), "2");  // FULL
  EXPECT_EQ(Pragma("busy_timeout"), "5000");
}

TEST_F(DatabaseTest, OpenFailsWithReadableErrorForUnopenablePath) {
  auto db = Database::Open(dir_.Path("missing-dir/x.db"));
  EXPECT_FALSE(db.ok());
  EXPECT_THAT(std::string(db.status().message()), ::testing::HasSubstr("missing-dir"));
}

TEST_F(DatabaseTest, BindsAndReadsEveryType) {
  auto tx = Transaction::Begin(*db_);
  ASSERT_THAT(tx, IsOk());
  auto insert = tx->db().Prepare("INSERT INTO t (id, name, data, n) VALUES (?1, ?2, ?3, ?4)");
  ASSERT_THAT(insert, IsOk());
  const std::string bytes("a\0b\xff", 4);
  ASSERT_THAT(insert->Bind(1, "alpha", Blob{bytes}, std::optional<int64_t>(-7)), IsOk());
  ASSERT_THAT(insert->Run(), IsOk());
  ASSERT_THAT(insert->Bind(2, std::string("beta"), Blob{""}, std::nullopt), IsOk());
  ASSERT_THAT(insert->Run(), IsOk());
  ASSERT_THAT(tx->Commit(), IsOk());
  *insert = Statement();

  auto lock = db_->Lock();
  auto select = db_->Prepare("SELECT id, name, data, n, typeof(data) FROM t ORDER BY id");
  ASSERT_THAT(select, IsOk());
  auto row = select->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(select->ColumnInt64(0), 1);
  EXPECT_EQ(select->ColumnText(1), "alpha");
  EXPECT_EQ(select->ColumnBlob(2), bytes);
  EXPECT_EQ(select->ColumnOptionalInt64(3), std::optional<int64_t>(-7));
  row = select->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(select->ColumnText(1), "beta");
  EXPECT_EQ(select->ColumnText(4), "blob");  // An empty blob, not NULL.
  EXPECT_TRUE(select->ColumnIsNull(3));
  EXPECT_EQ(select->ColumnOptionalInt64(3), std::nullopt);
  row = select->Step();
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(*row);
}

TEST_F(DatabaseTest, ErrorsCarrySqliteMessage) {
  auto lock = db_->Lock();
  auto bad = db_->Prepare("SELECT nope FROM t");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), ::testing::HasSubstr("no such column: nope"));

  auto insert = db_->Prepare("INSERT INTO t (id, name) VALUES (?1, ?2)");
  ASSERT_THAT(insert, IsOk());
  ASSERT_THAT(insert->Bind(1, "a"), IsOk());
  ASSERT_THAT(insert->Run(), IsOk());
  ASSERT_THAT(insert->Bind(1, "b"), IsOk());
  EXPECT_THAT(insert->Run(), StatusIs(absl::StatusCode::kAlreadyExists));
  // STRICT tables refuse a value of the wrong type.
  ASSERT_THAT(insert->Bind(2, "x"), IsOk());
  ASSERT_THAT(insert->BindText(1, "not a number"), IsOk());
  EXPECT_FALSE(insert->Run().ok());
}

TEST_F(DatabaseTest, TransactionCommitKeepsRows) {
  {
    auto tx = Transaction::Begin(*db_);
    ASSERT_THAT(tx, IsOk());
    ASSERT_THAT(tx->db().Execute("INSERT INTO t (id) VALUES (1), (2)"), IsOk());
    ASSERT_THAT(tx->Commit(), IsOk());
    EXPECT_THAT(tx->Commit(), StatusIs(absl::StatusCode::kFailedPrecondition));
  }
  EXPECT_EQ(CountRows(), 2);
}

TEST_F(DatabaseTest, TransactionRollsBackWhenDestroyedUncommitted) {
  {
    auto tx = Transaction::Begin(*db_);
    ASSERT_THAT(tx, IsOk());
    ASSERT_THAT(tx->db().Execute("INSERT INTO t (id) VALUES (1), (2)"), IsOk());
  }
  EXPECT_EQ(CountRows(), 0);
  // The connection is usable again: the lock was released and no transaction is left open.
  auto tx = Transaction::Begin(*db_);
  ASSERT_THAT(tx, IsOk());
  ASSERT_THAT(tx->db().Execute("INSERT INTO t (id) VALUES (3)"), IsOk());
  ASSERT_THAT(tx->Commit(), IsOk());
  EXPECT_EQ(CountRows(), 1);
}

TEST_F(DatabaseTest, MovedTransactionRollsBackOnce) {
  {
    auto tx = Transaction::Begin(*db_);
    ASSERT_THAT(tx, IsOk());
    Transaction moved = *std::move(tx);
    ASSERT_THAT(moved.db().Execute("INSERT INTO t (id) VALUES (1)"), IsOk());
  }
  EXPECT_EQ(CountRows(), 0);
}

TEST_F(DatabaseTest, ForeignKeysAreEnforced) {
  ASSERT_THAT(db_->Execute("CREATE TABLE parent (id INTEGER PRIMARY KEY) STRICT;"
                           "CREATE TABLE child (p INTEGER REFERENCES parent (id)) STRICT;"),
              IsOk());
  EXPECT_THAT(db_->Execute("INSERT INTO child (p) VALUES (42)"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(DatabaseTest, TransactionsFromManyThreadsDoNotInterleave) {
  // Each transaction reads the counter and writes it back incremented; interleaving on the one
  // connection would lose updates or fail with "cannot start a transaction within a transaction".
  ASSERT_THAT(db_->Execute("INSERT INTO t (id, n) VALUES (1, 0)"), IsOk());
  constexpr int kThreads = 4;
  constexpr int kIncrements = 200;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < kIncrements; ++j) {
        auto tx = Transaction::Begin(*db_);
        if (!tx.ok()) {
          ++failures;
          continue;
        }
        auto read = tx->db().Prepare("SELECT n FROM t WHERE id = 1");
        auto row = read->Step();
        const int64_t n = read->ColumnInt64(0);
        *read = Statement();
        auto write = tx->db().Prepare("UPDATE t SET n = ?1 WHERE id = 1");
        if (!row.ok() || !write->Bind(n + 1).ok() || !write->Run().ok() || !tx->Commit().ok()) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto lock = db_->Lock();
  auto read = db_->Prepare("SELECT n FROM t WHERE id = 1");
  ASSERT_TRUE(read->Step().value_or(false));
  EXPECT_EQ(read->ColumnInt64(0), kThreads * kIncrements);
}

}  // namespace
}  // namespace gw::cp
