#include "control_plane/store/config_store.h"

#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/api_key.h"
#include "common/config_validator.h"
#include "common/feature_level.h"
#include "control_plane/store/database.h"
#include "tests/control_plane/store/store_test_util.h"

namespace gw::cp {
namespace {

namespace cfg = gateway::config::v1;
namespace admin = gateway::admin::v1;
using ::google::protobuf::util::MessageDifferencer;
using ::gw::testing::IsOk;
using ::gw::testing::ReadFileBytes;
using ::gw::testing::StatusIs;
using ::gw::testing::TempDbDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kStart = 1'780'000'000'000'000;  // 2026-05-28, unix microseconds.

cfg::Team Team(const std::string& name) {
  cfg::Team team;
  team.set_name(name);
  return team;
}

cfg::Provider Provider(const std::string& name) {
  cfg::Provider provider;
  provider.set_name(name);
  provider.set_type(cfg::PROVIDER_TYPE_OPENAI);
  provider.set_base_url("https://api.openai.com/v1");
  provider.set_credential_ref("env:OPENAI_API_KEY");
  return provider;
}

cfg::Model Model(const std::string& name, const std::string& provider) {
  cfg::Model model;
  model.set_name(name);
  model.set_provider(provider);
  return model;
}

// A configuration using every field, including unset wrapper fields next to set ones (a budget of
// 0 is not the same as no budget) and fallbacks whose order is not alphabetical.
cfg::GatewayConfig FullConfig() {
  cfg::GatewayConfig config;
  cfg::Team* research = config.add_teams();
  research->set_name("research");
  research->set_tier(cfg::TIER_PREMIUM);
  research->add_allowed_models("gpt-4o");
  research->add_allowed_models("claude-x");
  research->mutable_max_tokens_per_request()->set_value(4096);
  research->mutable_rpm()->set_value(600);
  research->mutable_tpm()->set_value(1'000'000);
  research->mutable_max_concurrent()->set_value(8);
  research->mutable_monthly_budget_micro_usd()->set_value(250'000'000);
  research->set_guardrail_level(cfg::GUARDRAIL_LEVEL_STRICT);
  cfg::Team* interns = config.add_teams();
  interns->set_name("interns");
  interns->set_tier(cfg::TIER_FREE);
  interns->mutable_monthly_budget_micro_usd()->set_value(0);
  *config.add_teams() = Team("defaults");

  *config.add_providers() = Provider("openai");
  cfg::Provider* local = config.add_providers();
  local->set_name("local");
  local->set_type(cfg::PROVIDER_TYPE_OPENAI_COMPATIBLE);
  local->set_base_url("http://127.0.0.1:8000/v1");
  local->set_credential_ref("file:/etc/gw/local.key");

  cfg::Model* gpt = config.add_models();
  *gpt = Model("gpt-4o", "openai");
  gpt->set_upstream_model("gpt-4o-2024-08-06");
  gpt->add_capabilities("chat");
  gpt->add_capabilities("vision");
  gpt->add_capabilities("tools");
  gpt->set_context_window(128'000);
  *config.add_models() = Model("zeta-small", "local");
  *config.add_models() = Model("alpha-mini", "openai");

  cfg::Route* chat = config.add_routes();
  chat->set_task("chat");
  chat->set_primary("gpt-4o");
  chat->add_fallbacks("zeta-small");
  chat->add_fallbacks("alpha-mini");
  chat->set_strategy(cfg::ROUTING_STRATEGY_COST);
  cfg::Route* cheap = config.add_routes();
  cheap->set_task("cheap");
  cheap->set_primary("alpha-mini");

  cfg::ModelPrice* price = config.add_prices();
  price->set_model("gpt-4o");
  price->set_input_micro_usd_per_mtok(2'500'000);
  price->set_cached_input_micro_usd_per_mtok(1'250'000);
  price->set_output_micro_usd_per_mtok(10'000'000);
  cfg::ModelPrice* free_price = config.add_prices();
  free_price->set_model("alpha-mini");
  return config;
}

absl::Status Replace(cfg::GatewayConfig& config, const cfg::GatewayConfig& with) {
  config = with;
  return absl::OkStatus();
}

class ConfigStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    ConfigStore::Options options;
    options.now = [this] { return absl::FromUnixMicros(now_micros_.load()); };
    auto store = ConfigStore::Open(path_, options);
    ASSERT_THAT(store, IsOk());
    store_ = *std::move(store);
  }

  void Advance(absl::Duration d) { now_micros_ += absl::ToInt64Microseconds(d); }

  int64_t Version() { return store_->Current()->version(); }

  // Any real change, so the snapshot is rebuilt at the current (fake) time.
  void Touch() {
    static int counter = 0;
    ASSERT_THAT(store_->MutateConfig([](cfg::GatewayConfig& c) {
      *c.add_teams() = Team(absl::StrCat("touch-", ++counter));
      return absl::OkStatus();
    }),
                IsOk());
  }

  int64_t Count(const std::string& sql) {
    Database& db = store_->database();
    auto lock = db.Lock();
    auto st = db.Prepare(sql);
    EXPECT_THAT(st, IsOk());
    auto row = st->Step();
    EXPECT_TRUE(row.ok() && *row);
    return st->ColumnInt64(0);
  }

  admin::CreateKeyResponse CreateKey(const std::string& team, const std::string& name = "ci") {
    admin::CreateKeyRequest request;
    request.set_team(team);
    request.set_name(name);
    auto created = store_->CreateKey(request);
    EXPECT_THAT(created, IsOk());
    return created.value_or(admin::CreateKeyResponse());
  }

  const cfg::KeyEntry* FindInSnapshot(const std::string& id) {
    snapshot_ = store_->Current();
    for (const cfg::KeyEntry& key : snapshot_->keys()) {
      if (key.id() == id) return &key;
    }
    return nullptr;
  }

  TempDbDir dir_;
  std::string path_ = dir_.Path("gateway.db");
  std::atomic<int64_t> now_micros_{kStart};
  std::unique_ptr<ConfigStore> store_;
  std::shared_ptr<const ConfigStore::Snapshot> snapshot_;
};

TEST_F(ConfigStoreTest, NewDatabaseIsVersionOneAndEmpty) {
  auto snapshot = store_->Current();
  ASSERT_NE(snapshot, nullptr);
  EXPECT_EQ(snapshot->version(), 1);
  EXPECT_TRUE(MessageDifferencer::Equals(snapshot->config(), cfg::GatewayConfig()));
  EXPECT_EQ(snapshot->keys_size(), 0);
  EXPECT_EQ(snapshot->required_feature_level(), RequiredFeatureLevel(cfg::GatewayConfig()));
  EXPECT_GT(snapshot->created_at().seconds(), 0);
  EXPECT_THAT(ValidateSnapshot(*snapshot, kWorkerFeatureLevel), IsOk());
}

TEST_F(ConfigStoreTest, OpenOnFreshPathCreatesEverySchemaTableFromTheEmbeddedMigrations) {
  for (const char* table : {"schema_migrations", "config_version", "teams", "team_allowed_models",
                            "providers", "models", "model_capabilities", "routes",
                            "route_fallbacks", "prices", "api_keys", "api_key_allowed_models"}) {
    EXPECT_EQ(Count(absl::StrCat("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND "
                                 "name = '",
                                 table, "'")),
              1)
        << table;
  }
  EXPECT_EQ(Count("SELECT MIN(version) FROM schema_migrations"), 1);
}

TEST_F(ConfigStoreTest, EachMutationBumpsTheVersionByExactlyOne) {
  auto v = store_->MutateConfig([](cfg::GatewayConfig& c) {
    *c.add_teams() = Team("a");
    return absl::OkStatus();
  });
  ASSERT_THAT(v, IsOk());
  EXPECT_EQ(*v, 2);
  EXPECT_EQ(Version(), 2);
  v = store_->MutateConfig([](cfg::GatewayConfig& c) {
    *c.add_providers() = Provider("openai");
    *c.add_models() = Model("m", "openai");
    *c.add_teams() = Team("b");
    return absl::OkStatus();
  });
  ASSERT_THAT(v, IsOk());
  EXPECT_EQ(*v, 3);
  EXPECT_EQ(Version(), 3);
  EXPECT_EQ(Count("SELECT version FROM config_version"), 3);
  EXPECT_EQ(store_->Current()->config().teams_size(), 2);
}

TEST_F(ConfigStoreTest, EveryListIsSortedByName) {
  ASSERT_THAT(store_->MutateConfig([](cfg::GatewayConfig& c) { return Replace(c, FullConfig()); }),
              IsOk());
  const cfg::GatewayConfig& config = store_->Current()->config();
  ASSERT_EQ(config.teams_size(), 3);
  EXPECT_EQ(config.teams(0).name(), "defaults");
  EXPECT_EQ(config.teams(1).name(), "interns");
  EXPECT_EQ(config.teams(2).name(), "research");
  EXPECT_EQ(config.providers(0).name(), "local");
  EXPECT_EQ(config.models(0).name(), "alpha-mini");
  EXPECT_EQ(config.models(2).name(), "zeta-small");
  EXPECT_EQ(config.routes(0).task(), "chat");
  EXPECT_EQ(config.prices(0).model(), "alpha-mini");
  // Lists inside a resource keep their order.
  EXPECT_THAT(config.routes(0).fallbacks(), ElementsAre("zeta-small", "alpha-mini"));
  EXPECT_THAT(config.teams(2).allowed_models(), ElementsAre("gpt-4o", "claude-x"));
}

TEST_F(ConfigStoreTest, UnspecifiedEnumsAreStoredAsTheirDefaults) {
  ASSERT_THAT(store_->MutateConfig([](cfg::GatewayConfig& c) {
    *c.add_teams() = Team("plain");
    *c.add_providers() = Provider("openai");
    *c.add_models() = Model("m", "openai");
    cfg::Route* route = c.add_routes();
    route->set_task("chat");
    route->set_primary("m");
    return absl::OkStatus();
  }),
              IsOk());
  const cfg::GatewayConfig& config = store_->Current()->config();
  EXPECT_EQ(config.teams(0).tier(), cfg::TIER_STANDARD);
  EXPECT_EQ(config.teams(0).guardrail_level(), cfg::GUARDRAIL_LEVEL_STANDARD);
  EXPECT_EQ(config.routes(0).strategy(), cfg::ROUTING_STRATEGY_FALLBACK);
  // Writing the defaults explicitly is then no change at all.
  auto v = store_->MutateConfig([](cfg::GatewayConfig& c) {
    c.mutable_teams(0)->set_tier(cfg::TIER_STANDARD);
    c.mutable_routes(0)->set_strategy(cfg::ROUTING_STRATEGY_FALLBACK);
    return absl::OkStatus();
  });
  ASSERT_THAT(v, IsOk());
  EXPECT_EQ(*v, 2);
}

TEST_F(ConfigStoreTest, NoOpMutationKeepsTheVersionAndWritesNothing) {
  ASSERT_THAT(store_->MutateConfig([](cfg::GatewayConfig& c) { return Replace(c, FullConfig()); }),
              IsOk());
  const int64_t changes = store_->database().TotalChanges();
  int calls = 0;
  store_->AddVersionListener([&](int64_t) { ++calls; });

  auto v = store_->MutateConfig([](cfg::GatewayConfig&) { return absl::OkStatus(); });
  ASSERT_THAT(v, IsOk());
  EXPECT_EQ(*v, 2);
  // The same content in another order is the same configuration.
  v = store_->MutateConfig([](cfg::GatewayConfig& c) {
    cfg::GatewayConfig shuffled = FullConfig();
    shuffled.mutable_teams()->SwapElements(0, 2);
    return Replace(c, shuffled);
  });
  ASSERT_THAT(v, IsOk());
  EXPECT_EQ(*v, 2);
  EXPECT_EQ(Version(), 2);
  EXPECT_EQ(store_->database().TotalChanges(), changes);
  EXPECT_EQ(calls, 0);
}

TEST_F(ConfigStoreTest, FailedValidationChangesNothing) {
  ASSERT_THAT(store_->MutateConfig([](cfg::GatewayConfig& c) { return Replace(c, FullConfig()); }),
              IsOk());
  auto before = store_->Current();
  auto v = store_->MutateConfig([](cfg::GatewayConfig& c) {
    c.mutable_teams(0)->mutable_rpm()->set_value(5);
    *c.add_models() = Model("orphan", "no-such-provider");
    return absl::OkStatus();
  });
  EXPECT_THAT(v, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(std::string(v.status().message()), HasSubstr("no-such-provider"));
  EXPECT_EQ(store_->Current(), before);
  Reopen();
  EXPECT_EQ(Version(), 2);
  EXPECT_TRUE(MessageDifferencer::Equals(store_->Current()->config(), before->config()));
}

TEST_F(ConfigStoreTest, FailedMutateChangesNothing) {
  ASSERT_THAT(store_->MutateConfig([](cfg::GatewayConfig& c) { return Replace(c, FullConfig()); }),
              IsOk());
  auto before = store_->Current();
  auto v = store_->MutateConfig([](cfg::GatewayConfig& c) {
    c.clear_teams();  // Changed, then refused: the change must not leak.
    return absl::NotFoundError("team 'x' does not exist");
  });
  EXPECT_THAT(v, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(store_->Current(), before);
  EXPECT_EQ(store_->Current()->config().teams_size(), 3);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM teams"), 3);
  EXPECT_EQ(Count("SELECT version FROM config_version"), 2);
}

TEST_F(ConfigStoreTest, ReopenRestoresEveryResourceExactly) {
  ASSERT_THAT(store_->MutateConfig([](cfg::GatewayConfig& c) { return Replace(c, FullConfig()); }),
              IsOk());
  admin::CreateKeyRequest request;
  request.set_team("research");
  request.set_name("notebook");
  request.add_allowed_models("gpt-4o");
  *request.mutable_expires_at() = google::protobuf::Timestamp();
  request.mutable_expires_at()->set_seconds(kStart / 1'000'000 + 86400);
  ASSERT_THAT(store_->CreateKey(request), IsOk());
  CreateKey("interns", "");
  auto before = store_->Current();
  auto keys_before = store_->ListKeys("research");
  ASSERT_THAT(keys_before, IsOk());

  Reopen();
  auto after = store_->Current();
  EXPECT_EQ(after->version(), before->version());
  EXPECT_TRUE(MessageDifferencer::Equals(after->config(), before->config()))
      << after->config().DebugString();
  EXPECT_TRUE(MessageDifferencer::Equals(*after, *before));
  const cfg::Team& interns = after->config().teams(1);
  EXPECT_TRUE(interns.has_monthly_budget_micro_usd());
  EXPECT_FALSE(interns.has_rpm());
  EXPECT_FALSE(after->config().teams(0).has_monthly_budget_micro_usd());
  auto keys_after = store_->ListKeys("research");
  ASSERT_THAT(keys_after, IsOk());
  ASSERT_EQ(keys_after->size(), 1u);
  EXPECT_TRUE(MessageDifferencer::Equals((*keys_after)[0], (*keys_before)[0]));
  EXPECT_THAT((*keys_after)[0].allowed_models(), ElementsAre("gpt-4o"));
}

TEST_F(ConfigStoreTest, UpdatesAndDeletionsSurviveReopen) {
  ASSERT_THAT(store_->MutateConfig([](cfg::GatewayConfig& c) { return Replace(c, FullConfig()); }),
              IsOk());
  ASSERT_THAT(store_->MutateConfig([](cfg::GatewayConfig& c) {
    cfg::Team* research = c.mutable_teams(2);
    research->clear_rpm();
    research->clear_allowed_models();
    research->add_allowed_models("alpha-mini");
    research->mutable_monthly_budget_micro_usd()->set_value(1);
    c.mutable_routes(0)->clear_fallbacks();
    c.mutable_routes(0)->add_fallbacks("alpha-mini");
    // Drop the local provider and everything that uses it.
    c.mutable_providers()->DeleteSubrange(0, 1);
    c.mutable_models()->DeleteSubrange(2, 1);  // zeta-small
    c.mutable_prices(1)->set_output_micro_usd_per_mtok(7);
    c.mutable_models(1)->add_capabilities("json_mode");
    return absl::OkStatus();
  }),
              IsOk());
  auto before = store_->Current();
  Reopen();
  EXPECT_TRUE(MessageDifferencer::Equals(store_->Current()->config(), before->config()))
      << store_->Current()->config().DebugString();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM models WHERE name = 'zeta-small'"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM route_fallbacks"), 1);
}

TEST_F(ConfigStoreTest, ChangingOneOfTenThousandTeamsWritesOneTeam) {
  auto start = std::chrono::steady_clock::now();
  ASSERT_THAT(store_->MutateConfig([](cfg::GatewayConfig& c) {
    for (int i = 0; i < 10'000; ++i) *c.add_teams() = Team(absl::StrCat("team-", i));
    return absl::OkStatus();
  }),
              IsOk());
  auto created = std::chrono::steady_clock::now();
  const int64_t changes = store_->database().TotalChanges();
  ASSERT_THAT(store_->MutateConfig([](cfg::GatewayConfig& c) {
    c.mutable_teams(1234)->mutable_rpm()->set_value(10);
    return absl::OkStatus();
  }),
              IsOk());
  auto updated = std::chrono::steady_clock::now();
  // One team row and the version row.
  EXPECT_EQ(store_->database().TotalChanges() - changes, 2);
  std::printf(
      "10,000 teams: create %lld ms, change one %lld ms\n",
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(created - start).count()),
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(updated - created).count()));
  EXPECT_LT(updated - created, std::chrono::seconds(5));
}

// ---- Keys ----

TEST_F(ConfigStoreTest, CreateKeyShowsPlaintextOnceAndPublishesItsDigest) {
  ASSERT_THAT(store_->MutateConfig([](cfg::GatewayConfig& c) {
    *c.add_teams() = Team("research");
    return absl::OkStatus();
  }),
              IsOk());
  admin::CreateKeyResponse created = CreateKey("research", "notebook");
  const std::string& plaintext = created.plaintext_key();
  EXPECT_TRUE(absl::StartsWith(plaintext, "gwk-"));
  EXPECT_EQ(created.key().prefix(), plaintext.substr(0, 12));
  EXPECT_TRUE(absl::StartsWith(created.key().id(), "key_"));
  EXPECT_EQ(created.key().team(), "research");
  EXPECT_EQ(created.key().name(), "notebook");
  EXPECT_EQ(created.key().created_at().seconds(), kStart / 1'000'000);
  EXPECT_FALSE(created.key().has_expires_at());
  EXPECT_FALSE(created.key().has_revoked_at());
  EXPECT_EQ(Version(), 3);

  const cfg::KeyEntry* entry = FindInSnapshot(created.key().id());
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->sha256(), Sha256(plaintext));
  EXPECT_EQ(entry->team(), "research");
  EXPECT_EQ(entry->prefix(), created.key().prefix());
  EXPECT_THAT(ValidateSnapshot(*store_->Current(), kWorkerFeatureLevel), IsOk());

  auto listed = store_->ListKeys("research");
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_TRUE(MessageDifferencer::Equals((*listed)[0], created.key()));
}

TEST_F(ConfigStoreTest, PlaintextIsNeverStoredButTheDigestIs) {
  ASSERT_THAT(store_->MutateConfig([](cfg::GatewayConfig& c) {
    *c.add_teams() = Team("research");
    return absl::OkStatus();
  }),
              IsOk());
  std::vector<admin::CreateKeyResponse> created;
  for (int i = 0; i < 3; ++i) created.push_back(CreateKey("research"));
  auto rotated = store_->RotateKey(created[0].key().id(), absl::Hours(1));
  ASSERT_THAT(rotated, IsOk());
  created.push_back(*rotated);

  auto check = [&](const std::string& when) {
    const std::string bytes = ReadFileBytes(path_) + ReadFileBytes(path_ + "-wal");
    ASSERT_FALSE(bytes.empty());
    for (const admin::CreateKeyResponse& key : created) {
      const std::string& plaintext = key.plaintext_key();
      EXPECT_FALSE(absl::StrContains(bytes, plaintext)) << when;
      // Nor the secret part alone (the key minus its displayed prefix).
      EXPECT_FALSE(absl::StrContains(bytes, plaintext.substr(12))) << when;
      EXPECT_TRUE(absl::StrContains(bytes, Sha256(plaintext))) << when;
    }
  };
  check("while open (WAL)");
  store_.reset();  // Checkpoints the WAL into the main file.
  check("after close");
}

TEST_F(ConfigStoreTest, CreateKeyRefusesBadRequestsWithoutChangingAnything) {
  ASSERT_THAT(store_->MutateConfig([](cfg::GatewayConfig& c) {
    *c.add_teams() = Team("research");
    return absl::OkStatus();
  }),
              IsOk());
  admin::CreateKeyRequest request;
  request.set_team("nobody");
  EXPECT_THAT(store_->CreateKey(request), StatusIs(absl::StatusCode::kNotFound));

  request.set_team("research");
  request.mutable_expires_at()->set_seconds(kStart / 1'000'000 - 1);
  EXPECT_THAT(store_->CreateKey(request), StatusIs(absl::StatusCode::kInvalidArgument));
  request.mutable_expires_at()->set_seconds(kStart / 1'000'000);  // Now is not the future.
  EXPECT_THAT(store_->CreateKey(request), StatusIs(absl::StatusCode::kInvalidArgument));

  request.clear_expires_at();
  request.add_allowed_models("bad name!");
  EXPECT_THAT(store_->CreateKey(request), StatusIs(absl::StatusCode::kInvalidArgument));
  request.clear_allowed_models();
  request.add_allowed_models("m");
  request.add_allowed_models("m");
  EXPECT_THAT(store_->CreateKey(request), StatusIs(absl::StatusCode::kInvalidArgument));

  request.clear_allowed_models();
  request.set_name("has space");
  EXPECT_THAT(store_->CreateKey(request), StatusIs(absl::StatusCode::kInvalidArgument));

  EXPECT_EQ(Version(), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM api_keys"), 0);
  EXPECT_THAT(store_->ListKeys("nobody"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ConfigStoreTest, RevokedKeyLeavesTheSnapshotAndRevokingTwiceIsANoOp) {
  ASSERT_THAT(store_->MutateConfig([](cfg::GatewayConfig& c) {
    *c.add_teams() = Team("research");
    return absl::OkStatus();
  }),
              IsOk());
  admin::CreateKeyResponse keep = CreateKey("research");
  admin::CreateKeyResponse drop = CreateKey("research");
  const int64_t version = Version();

  Advance(absl::Minutes(5));
  auto revoked = store_->RevokeKey(drop.key().id());
  ASSERT_THAT(revoked, IsOk());
  EXPECT_EQ(revoked->revoked_at().seconds(), kStart / 1'000'000 + 300);
  EXPECT_EQ(Version(), version + 1);
  EXPECT_EQ(FindInSnapshot(drop.key().id()), nullptr);
  EXPECT_NE(FindInSnapshot(keep.key().id()), nullptr);

  auto again = store_->RevokeKey(drop.key().id());
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(MessageDifferencer::Equals(*again, *revoked));
  EXPECT_EQ(Version(), version + 1);
  EXPECT_THAT(store_->RevokeKey("key_nope"), StatusIs(absl::StatusCode::kNotFound));

  // Listed with revoked ones, oldest first; still revoked after a restart.
  Reopen();
  auto listed = store_->ListKeys("research");
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id(), keep.key().id());
  EXPECT_TRUE((*listed)[1].has_revoked_at());
  EXPECT_EQ(FindInSnapshot(drop.key().id()), nullptr);
}

TEST_F(ConfigStoreTest, ExpiredKeyLeavesTheSnapshot) {
  ASSERT_THAT(store_->MutateConfig([](cfg::GatewayConfig& c) {
    *c.add_teams() = Team("research");
    return absl::OkStatus();
  }),
              IsOk());
  admin::CreateKeyRequest request;
  request.set_team("research");
  request.mutable_expires_at()->set_seconds(kStart / 1'000'000 + 3600);
  auto expiring = store_->CreateKey(request);
  ASSERT_THAT(expiring, IsOk());
  const cfg::KeyEntry* entry = FindInSnapshot(expiring->key().id());
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->expires_at().seconds(), kStart / 1'000'000 + 3600);

  Advance(absl::Hours(2));
  Touch();
  EXPECT_EQ(FindInSnapshot(expiring->key().id()), nullptr);
  Reopen();
  EXPECT_EQ(FindInSnapshot(expiring->key().id()), nullptr);
  auto listed = store_->ListKeys("research");
  ASSERT_THAT(listed, IsOk());
  EXPECT_EQ(listed->size(), 1u);
  EXPECT_THAT(store_->RotateKey(expiring->key().id(), absl::ZeroDuration()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(ConfigStoreTest, RotateWithGraceKeepsTheOldKeyUntilTheGraceEnds) {
  ASSERT_THAT(store_->MutateConfig([](cfg::GatewayConfig& c) {
    *c.add_teams() = Team("research");
    return absl::OkStatus();
  }),
              IsOk());
  admin::CreateKeyRequest request;
  request.set_team("research");
  request.set_name("notebook");
  request.add_allowed_models("gpt-4o");
  auto old_key = store_->CreateKey(request);
  ASSERT_THAT(old_key, IsOk());
  const int64_t version = Version();

  Advance(absl::Minutes(1));
  auto rotated = store_->RotateKey(old_key->key().id(), absl::Hours(1));
  ASSERT_THAT(rotated, IsOk());
  EXPECT_EQ(Version(), version + 1);
  EXPECT_NE(rotated->key().id(), old_key->key().id());
  EXPECT_NE(rotated->plaintext_key(), old_key->plaintext_key());
  EXPECT_EQ(rotated->key().team(), "research");
  EXPECT_EQ(rotated->key().name(), "notebook");
  EXPECT_THAT(rotated->key().allowed_models(), ElementsAre("gpt-4o"));
  EXPECT_FALSE(rotated->key().has_expires_at());

  const int64_t grace_end = kStart / 1'000'000 + 60 + 3600;
  const cfg::KeyEntry* old_entry = FindInSnapshot(old_key->key().id());
  ASSERT_NE(old_entry, nullptr);
  EXPECT_EQ(old_entry->expires_at().seconds(), grace_end);
  const cfg::KeyEntry* new_entry = FindInSnapshot(rotated->key().id());
  ASSERT_NE(new_entry, nullptr);
  EXPECT_EQ(new_entry->sha256(), Sha256(rotated->plaintext_key()));
  EXPECT_EQ(Count(absl::StrCat("SELECT COUNT(*) FROM api_keys WHERE rotated_from = '",
                               old_key->key().id(), "'")),
            1);

  auto listed = store_->ListKeys("research");
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id(), old_key->key().id());
  EXPECT_EQ((*listed)[0].expires_at().seconds(), grace_end);
  EXPECT_FALSE((*listed)[0].has_revoked_at());
  EXPECT_EQ((*listed)[1].id(), rotated->key().id());

  Advance(absl::Hours(2));
  Reopen();
  EXPECT_EQ(FindInSnapshot(old_key->key().id()), nullptr);
  EXPECT_NE(FindInSnapshot(rotated->key().id()), nullptr);
}

TEST_F(ConfigStoreTest, RotateWithoutGraceRevokesTheOldKeyNow) {
  ASSERT_THAT(store_->MutateConfig([](cfg::GatewayConfig& c) {
    *c.add_teams() = Team("research");
    return absl::OkStatus();
  }),
              IsOk());
  admin::CreateKeyResponse old_key = CreateKey("research");
  auto rotated = store_->RotateKey(old_key.key().id(), absl::ZeroDuration());
  ASSERT_THAT(rotated, IsOk());
  EXPECT_EQ(FindInSnapshot(old_key.key().id()), nullptr);
  EXPECT_NE(FindInSnapshot(rotated->key().id()), nullptr);
  auto listed = store_->ListKeys("research");
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_TRUE((*listed)[0].has_revoked_at());
  EXPECT_THAT(store_->RotateKey(old_key.key().id(), absl::Hours(1)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->RotateKey("key_nope", absl::Hours(1)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->RotateKey(rotated->key().id(), absl::Seconds(-1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(ConfigStoreTest, DeletingATeamDeletesItsKeys) {
  ASSERT_THAT(store_->MutateConfig([](cfg::GatewayConfig& c) {
    *c.add_teams() = Team("a");
    *c.add_teams() = Team("b");
    return absl::OkStatus();
  }),
              IsOk());
  admin::CreateKeyResponse a1 = CreateKey("a");
  admin::CreateKeyResponse a2 = CreateKey("a");
  ASSERT_THAT(store_->RotateKey(a2.key().id(), absl::Hours(1)), IsOk());
  admin::CreateKeyResponse b1 = CreateKey("b");
  EXPECT_EQ(store_->Current()->keys_size(), 4);

  ASSERT_THAT(store_->MutateConfig([](cfg::GatewayConfig& c) {
    c.mutable_teams()->DeleteSubrange(0, 1);
    return absl::OkStatus();
  }),
              IsOk());
  ASSERT_EQ(store_->Current()->keys_size(), 1);
  EXPECT_EQ(store_->Current()->keys(0).id(), b1.key().id());
  EXPECT_THAT(store_->ListKeys("a"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->RevokeKey(a1.key().id()), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM api_keys"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM api_keys WHERE team = 'a'"), 0);
  EXPECT_THAT(ValidateSnapshot(*store_->Current(), kWorkerFeatureLevel), IsOk());

  // Re-creating the team does not bring its keys back.
  ASSERT_THAT(store_->MutateConfig([](cfg::GatewayConfig& c) {
    *c.add_teams() = Team("a");
    return absl::OkStatus();
  }),
              IsOk());
  auto listed = store_->ListKeys("a");
  ASSERT_THAT(listed, IsOk());
  EXPECT_TRUE(listed->empty());
  Reopen();
  EXPECT_EQ(store_->Current()->keys_size(), 1);
}

TEST_F(ConfigStoreTest, KeyLookupsBySqlUseIndexes) {
  Database& db = store_->database();
  auto lock = db.Lock();
  for (const char* query :
       {"SELECT * FROM api_keys WHERE id = ?1", "SELECT * FROM api_keys WHERE sha256 = ?1",
        "SELECT * FROM api_keys WHERE team = ?1", "SELECT * FROM api_keys WHERE rotated_from = ?1",
        "UPDATE api_keys SET revoked_at = 1 WHERE id = ?1",
        "SELECT * FROM api_key_allowed_models WHERE key_id = ?1"}) {
    auto plan = db.Prepare(absl::StrCat("EXPLAIN QUERY PLAN ", query));
    ASSERT_THAT(plan, IsOk());
    std::string details;
    while (plan->Step().value_or(false)) absl::StrAppend(&details, plan->ColumnText(3), "; ");
    EXPECT_THAT(details, HasSubstr("SEARCH")) << query;
    EXPECT_THAT(details, ::testing::Not(HasSubstr("SCAN"))) << query << ": " << details;
  }
}

TEST_F(ConfigStoreTest, ListenersGetEachNewVersionOnceInOrder) {
  std::vector<int64_t> seen;
  std::vector<int64_t> current_seen;
  store_->AddVersionListener([&](int64_t version) {
    seen.push_back(version);
    // Listeners run with no store lock held: calling back in works.
    current_seen.push_back(store_->Current()->version());
  });
  ASSERT_THAT(store_->MutateConfig([](cfg::GatewayConfig& c) {
    *c.add_teams() = Team("a");
    return absl::OkStatus();
  }),
              IsOk());
  ASSERT_THAT(store_->MutateConfig([](cfg::GatewayConfig&) { return absl::OkStatus(); }), IsOk());
  EXPECT_FALSE(store_
                   ->MutateConfig([](cfg::GatewayConfig& c) {
                     *c.add_teams() = Team("bad name");
                     return absl::OkStatus();
                   })
                   .ok());
  admin::CreateKeyResponse key = CreateKey("a");
  ASSERT_THAT(store_->RevokeKey(key.key().id()), IsOk());
  ASSERT_THAT(store_->RevokeKey(key.key().id()), IsOk());
  EXPECT_THAT(seen, ElementsAre(2, 3, 4));
  EXPECT_EQ(current_seen, seen);
}

TEST_F(ConfigStoreTest, ConcurrentWritersEachGetTheirOwnVersion) {
  std::mutex seen_mutex;
  std::vector<int64_t> seen;
  store_->AddVersionListener([&](int64_t version) {
    std::lock_guard lock(seen_mutex);
    seen.push_back(version);
  });
  constexpr int kThreads = 4;
  constexpr int kWrites = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        auto v = store_->MutateConfig([&](cfg::GatewayConfig& c) {
          *c.add_teams() = Team(absl::StrCat("t", t, "-", i));
          return absl::OkStatus();
        });
        if (!v.ok()) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Version(), 1 + kThreads * kWrites);
  std::vector<int64_t> expected;
  for (int64_t v = 2; v <= 1 + kThreads * kWrites; ++v) expected.push_back(v);
  std::lock_guard lock(seen_mutex);
  EXPECT_EQ(seen, expected);
}

TEST_F(ConfigStoreTest, RefusesADatabaseFromANewerSchema) {
  {
    Database& db = store_->database();
    auto lock = db.Lock();
    ASSERT_THAT(db.Execute("INSERT INTO schema_migrations (version, name, applied_at) "
                           "VALUES (9999, 'from_the_future', 1)"),
                IsOk());
  }
  store_.reset();
  auto store = ConfigStore::Open(path_);
  EXPECT_THAT(store, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(std::string(store.status().message()), HasSubstr("9999"));
}

// Keys inserted in one transaction straight into the table (the Admin API creates them one at a
// time), then loaded and published by a fresh store.
TEST_F(ConfigStoreTest, ManyKeysLoadAndPublishQuickly) {
  constexpr int kKeys = 20'000;
  ASSERT_THAT(store_->MutateConfig([](cfg::GatewayConfig& c) {
    for (int i = 0; i < 100; ++i) *c.add_teams() = Team(absl::StrCat("team-", i));
    return absl::OkStatus();
  }),
              IsOk());
  {
    Database& db = store_->database();
    auto tx = Transaction::Begin(db);
    ASSERT_THAT(tx, IsOk());
    auto insert = tx->db().Prepare(
        "INSERT INTO api_keys (id, team, name, prefix, sha256, created_at) "
        "VALUES (?1, ?2, 'bulk', ?3, ?4, ?5)");
    ASSERT_THAT(insert, IsOk());
    for (int i = 0; i < kKeys; ++i) {
      auto key = GenerateApiKey();
      ASSERT_THAT(key, IsOk());
      ASSERT_THAT(insert->Bind(absl::StrCat("key_bulk", i), absl::StrCat("team-", i % 100),
                               key->prefix, Blob{key->sha256}, kStart + i),
                  IsOk());
      ASSERT_THAT(insert->Run(), IsOk());
    }
    *insert = Statement();
    ASSERT_THAT(tx->Commit(), IsOk());
  }
  store_.reset();

  auto start = std::chrono::steady_clock::now();
  Reopen();
  auto opened = std::chrono::steady_clock::now();
  EXPECT_EQ(store_->Current()->keys_size(), kKeys);
  CreateKey("team-7");
  auto created = std::chrono::steady_clock::now();
  EXPECT_EQ(store_->Current()->keys_size(), kKeys + 1);
  auto listed = store_->ListKeys("team-7");
  ASSERT_THAT(listed, IsOk());
  EXPECT_EQ(listed->size(), static_cast<size_t>(kKeys / 100 + 1));

  auto ms = [](auto d) {
    return static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
  };
  std::printf("%d keys: open+load+snapshot %lld ms, create one more (new snapshot) %lld ms\n",
              kKeys, ms(opened - start), ms(created - opened));
  // Generous bounds for a shared machine; they catch quadratic behaviour, not small regressions.
  EXPECT_LT(opened - start, std::chrono::seconds(10));
  EXPECT_LT(created - opened, std::chrono::seconds(5));
}

TEST_F(ConfigStoreTest, RevocationListenersHearOfKeysRevokedAtOnceBeforeTheSnapshotIsRebuilt) {
  ASSERT_THAT(store_->MutateConfig([](cfg::GatewayConfig& c) {
    *c.add_teams() = Team("a");
    *c.add_teams() = Team("b");
    return absl::OkStatus();
  }),
              IsOk());
  std::vector<cfg::RevokedKey> heard;
  std::vector<int64_t> snapshot_version_when_heard;
  store_->AddRevocationListener([&](const ConfigStore::RevokedKeys& keys) {
    for (const cfg::RevokedKey& key : keys) {
      heard.push_back(key);
      // The listener runs before the snapshot of the revoking version exists (it must not call
      // the store's writers; Current() is a lock-free read).
      snapshot_version_when_heard.push_back(store_->Current()->version());
    }
  });
  admin::CreateKeyResponse revoked = CreateKey("a");
  ASSERT_THAT(store_->RevokeKey(revoked.key().id()), IsOk());
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_EQ(heard[0].key_id(), revoked.key().id());
  EXPECT_EQ(heard[0].sha256(), Sha256(revoked.plaintext_key()));
  EXPECT_EQ(heard[0].version(), Version());
  EXPECT_EQ(snapshot_version_when_heard[0], Version() - 1);

  // Revoking twice changes nothing; a rotation with grace leaves the old key valid.
  ASSERT_THAT(store_->RevokeKey(revoked.key().id()), IsOk());
  admin::CreateKeyResponse graced = CreateKey("a");
  ASSERT_THAT(store_->RotateKey(graced.key().id(), absl::Hours(1)), IsOk());
  EXPECT_EQ(heard.size(), 1u);

  admin::CreateKeyResponse rotated = CreateKey("a");
  ASSERT_THAT(store_->RotateKey(rotated.key().id(), absl::ZeroDuration()), IsOk());
  ASSERT_EQ(heard.size(), 2u);
  EXPECT_EQ(heard[1].key_id(), rotated.key().id());
  EXPECT_EQ(heard[1].version(), Version());

  // Deleting team b drops its live key with it.
  admin::CreateKeyResponse of_b = CreateKey("b");
  ASSERT_THAT(store_->MutateConfig([](cfg::GatewayConfig& c) {
    c.mutable_teams()->DeleteSubrange(1, 1);
    return absl::OkStatus();
  }),
              IsOk());
  ASSERT_EQ(heard.size(), 3u);
  EXPECT_EQ(heard[2].key_id(), of_b.key().id());
  EXPECT_EQ(heard[2].sha256(), Sha256(of_b.plaintext_key()));
  EXPECT_EQ(heard[2].version(), Version());
}

}  // namespace
}  // namespace gw::cp
