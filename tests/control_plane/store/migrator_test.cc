#include "control_plane/store/migrator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/control_plane/store/store_test_util.h"

namespace gw::cp {
namespace {

using ::gw::testing::IsOk;
using ::gw::testing::StatusIs;
using ::gw::testing::TempDbDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

const Migration kV1{1, "create_notes",
                    "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL) STRICT;"};
const Migration kV2{2, "add_tags",
                    "CREATE TABLE tags (note INTEGER NOT NULL REFERENCES notes (id), tag TEXT) "
                    "STRICT; ALTER TABLE notes ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;"};

class MigratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::Open(dir_.Path("m.db"));
    ASSERT_THAT(db, IsOk());
    db_ = *std::move(db);
  }

  std::vector<std::pair<int64_t, std::string>> Recorded() {
    std::vector<std::pair<int64_t, std::string>> out;
    auto lock = db_->Lock();
    auto st = db_->Prepare("SELECT version, name, applied_at FROM schema_migrations ORDER BY 1");
    EXPECT_THAT(st, IsOk());
    while (st->Step().value_or(false)) {
      EXPECT_GT(st->ColumnInt64(2), 0);
      out.emplace_back(st->ColumnInt64(0), st->ColumnText(1));
    }
    return out;
  }

  bool TableExists(const std::string& name) {
    auto lock = db_->Lock();
    auto st = db_->Prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1");
    EXPECT_THAT(st->Bind(name), IsOk());
    return st->Step().value_or(false);
  }

  TempDbDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(MigratorTest, FreshDatabaseGetsEveryMigrationInOrder) {
  // Given out of order: the runner sorts them.
  std::vector<Migration> list = {kV2, kV1};
  auto version = ApplyMigrations(*db_, list);
  ASSERT_THAT(version, IsOk());
  EXPECT_EQ(*version, 2);
  EXPECT_THAT(Recorded(), ElementsAre(Pair(1, "create_notes"), Pair(2, "add_tags")));
  EXPECT_TRUE(TableExists("notes"));
  EXPECT_TRUE(TableExists("tags"));
}

TEST_F(MigratorTest, RunningTwiceAppliesNothingNew) {
  ASSERT_THAT(ApplyMigrations(*db_, {kV1}), IsOk());
  auto again = ApplyMigrations(*db_, {kV1});
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(*again, 1);
  EXPECT_THAT(Recorded(), ElementsAre(Pair(1, "create_notes")));
}

TEST_F(MigratorTest, UpgradeAppliesOnlyNewMigrationsAndKeepsData) {
  ASSERT_THAT(ApplyMigrations(*db_, {kV1}), IsOk());
  ASSERT_THAT(db_->Execute("INSERT INTO notes (id, body) VALUES (7, 'kept')"), IsOk());

  auto version = ApplyMigrations(*db_, {kV1, kV2});
  ASSERT_THAT(version, IsOk());
  EXPECT_EQ(*version, 2);
  EXPECT_THAT(Recorded(), ElementsAre(Pair(1, "create_notes"), Pair(2, "add_tags")));
  auto lock = db_->Lock();
  auto st = db_->Prepare("SELECT body, pinned FROM notes WHERE id = 7");
  ASSERT_TRUE(st->Step().value_or(false));
  EXPECT_EQ(st->ColumnText(0), "kept");
  EXPECT_EQ(st->ColumnInt64(1), 0);
}

TEST_F(MigratorTest, RefusesDatabaseFromNewerSchema) {
  ASSERT_THAT(ApplyMigrations(*db_, {kV1, kV2}), IsOk());
  auto version = ApplyMigrations(*db_, {kV1});
  EXPECT_THAT(version, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(version.status().message()), HasSubstr("2"));
  EXPECT_THAT(std::string(version.status().message()), HasSubstr("(1)"));
}

TEST_F(MigratorTest, FailingMigrationRollsBackEntirely) {
  ASSERT_THAT(ApplyMigrations(*db_, {kV1}), IsOk());
  const Migration broken{2, "broken",
                         "CREATE TABLE half (x INTEGER) STRICT;"
                         "INSERT INTO notes (id, body) VALUES (1, 'x');"
                         "INSERT INTO no_such_table VALUES (1);"};
  auto version = ApplyMigrations(*db_, {kV1, broken});
  EXPECT_FALSE(version.ok());
  EXPECT_THAT(std::string(version.status().message()), HasSubstr("migration 2 (broken)"));
  EXPECT_FALSE(TableExists("half"));
  EXPECT_THAT(Recorded(), ElementsAre(Pair(1, "create_notes")));
  {
    auto lock = db_->Lock();
    auto st = db_->Prepare("SELECT COUNT(*) FROM notes");
    ASSERT_TRUE(st->Step().value_or(false));
    EXPECT_EQ(st->ColumnInt64(0), 0);
  }
  // Fixed, it applies.
  EXPECT_THAT(ApplyMigrations(*db_, {kV1, kV2}), IsOk());
}

TEST_F(MigratorTest, ForeignKeyViolationFailsTheMigration) {
  ASSERT_THAT(ApplyMigrations(*db_, {kV1, kV2}), IsOk());
  // foreign_keys cannot be switched off inside the migration's transaction, but
  // defer_foreign_keys lets a violation reach the runner's own check.
  const Migration dangling{3, "dangling",
                           "PRAGMA defer_foreign_keys = ON;"
                           "INSERT INTO tags (note, tag) VALUES (999, 'orphan');"};
  EXPECT_FALSE(ApplyMigrations(*db_, {kV1, kV2, dangling}).ok());
  EXPECT_THAT(Recorded(), ElementsAre(Pair(1, "create_notes"), Pair(2, "add_tags")));
}

TEST_F(MigratorTest, RejectsRepeatedVersions) {
  EXPECT_THAT(ApplyMigrations(*db_, {kV1, Migration{1, "again", "SELECT 1;"}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE(TableExists("notes"));
}

TEST_F(MigratorTest, EmbeddedMigrationsAreNumberedFromOneWithoutGaps) {
  const std::vector<Migration>& embedded = EmbeddedMigrations();
  ASSERT_FALSE(embedded.empty());
  for (size_t i = 0; i < embedded.size(); ++i) {
    EXPECT_EQ(embedded[i].version, static_cast<int64_t>(i + 1));
    EXPECT_FALSE(embedded[i].name.empty());
    EXPECT_FALSE(embedded[i].sql.empty());
  }
  EXPECT_EQ(embedded[0].name, "init");
  ASSERT_THAT(ApplyMigrations(*db_, embedded), IsOk());
  for (const char* table : {"config_version", "teams", "team_allowed_models", "providers", "models",
                            "model_capabilities", "routes", "route_fallbacks", "prices", "api_keys",
                            "api_key_allowed_models"}) {
    EXPECT_TRUE(TableExists(table)) << table;
  }
}

}  // namespace
}  // namespace gw::cp
