// The worker's compiled snapshot, its slot, the budget-state slot and the applier.
#include "data_plane/config/snapshot.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "boost/json/parse.hpp"
#include "common/feature_level.h"
#include "data_plane/config/budget_state_slot.h"
#include "data_plane/config/snapshot_applier.h"
#include "data_plane/config/snapshot_store.h"
#include "data_plane/stages/auth/key_digest.h"
#include "gtest/gtest.h"
#include "test_snapshots.h"

namespace gw::dp {
namespace {
using ::gw::testing::AddKey;
using ::gw::testing::MakeSnapshot;
using ::gw::testing::Serialized;
using ::gw::testing::SetExpiry;

std::shared_ptr<const Snapshot> CompileOrDie(gateway::config::v1::Snapshot proto) {
  absl::StatusOr<std::shared_ptr<const Snapshot>> compiled = Snapshot::Compile(std::move(proto));
  EXPECT_TRUE(compiled.ok()) << compiled.status();
  return compiled.ok() ? *compiled : nullptr;
}

std::vector<std::string> ModelIds(const std::string& models_json) {
  std::vector<std::string> ids;
  const boost::json::value value = boost::json::parse(models_json);
  for (const auto& model : value.at("data").as_array()) {
    ids.emplace_back(model.at("id").as_string());
  }
  return ids;
}

TEST(SnapshotCompile, FindsKeysByDigestOnly) {
  auto proto = MakeSnapshot(1);
  AddKey(proto, "key_a", "gwk-alpha-secret", "team-a");
  AddKey(proto, "key_b", "gwk-beta-secret", "team-b");
  const auto snapshot = CompileOrDie(proto);
  ASSERT_NE(snapshot, nullptr);
  EXPECT_EQ(snapshot->key_count(), 2u);

  const KeyInfo* a = snapshot->FindKeyByDigest(Sha256("gwk-alpha-secret"));
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->id, "key_a");
  EXPECT_EQ(a->team->name(), "team-a");
  EXPECT_EQ(snapshot->FindKeyByDigest(Sha256("gwk-beta-secret"))->id, "key_b");
  EXPECT_EQ(snapshot->FindKeyByDigest(Sha256("gwk-unknown")), nullptr);
  EXPECT_EQ(snapshot->FindKeyByDigest("gwk-alpha-secret"), nullptr);  // Plaintext is no index.
}

TEST(SnapshotCompile, ParsedOnArenaIndexesLikeTheProtoAndOwnsItsBytes) {
  auto proto = MakeSnapshot(4);
  AddKey(proto, "key_a", "gwk-alpha-secret", "team-a", {"gpt-4o"});
  AddKey(proto, "key_b", "gwk-beta-secret", "team-b");
  std::shared_ptr<const Snapshot> snapshot;
  {
    // The bytes and the parse result go away; the snapshot must not point into either.
    std::string bytes = Serialized(proto);
    absl::StatusOr<Snapshot::ParsedOnArena> parsed = Snapshot::ParsedOnArena::Parse(bytes);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    absl::StatusOr<std::shared_ptr<const Snapshot>> compiled =
        Snapshot::Compile(*std::move(parsed));
    ASSERT_TRUE(compiled.ok()) << compiled.status();
    snapshot = *compiled;
    bytes.assign(bytes.size(), '\0');
  }
  const auto from_proto = CompileOrDie(proto);
  EXPECT_EQ(snapshot->version(), 4);
  EXPECT_EQ(snapshot->key_count(), from_proto->key_count());
  const KeyInfo* a = snapshot->FindKeyByDigest(Sha256("gwk-alpha-secret"));
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->id, "key_a");
  EXPECT_EQ(a->team->name(), "team-a");
  EXPECT_EQ(a->models->models_response_json,
            from_proto->FindKeyByDigest(Sha256("gwk-alpha-secret"))->models->models_response_json);
  EXPECT_EQ(snapshot->FindKeyByDigest(Sha256("gwk-beta-secret"))->id, "key_b");
  EXPECT_EQ(snapshot->FindKeyByDigest(Sha256("gwk-unknown")), nullptr);

  EXPECT_FALSE(Snapshot::ParsedOnArena::Parse("\xff\xff\xff").ok());
}

TEST(KeyDigest, MatchesTheDigestTheControlPlaneStores) {
  for (const std::string& key : {std::string(), std::string("gwk-a"), std::string(200, 'k')}) {
    EXPECT_EQ(std::string(DigestApiKey(key).view()), Sha256(key)) << key.size();
  }
}

TEST(SnapshotCompile, ExpiryIsCheckedAgainstTheGivenTime) {
  auto proto = MakeSnapshot(1);
  const absl::Time expiry = absl::FromUnixSeconds(1800000000);
  SetExpiry(AddKey(proto, "key_exp", "gwk-expiring", "team-a"), expiry);
  AddKey(proto, "key_forever", "gwk-forever", "team-a");
  const auto snapshot = CompileOrDie(proto);
  const KeyInfo* expiring = snapshot->FindKeyByDigest(Sha256("gwk-expiring"));
  ASSERT_NE(expiring, nullptr);
  EXPECT_FALSE(expiring->ExpiredAt(expiry - absl::Seconds(1)));
  EXPECT_TRUE(expiring->ExpiredAt(expiry));
  EXPECT_TRUE(expiring->ExpiredAt(expiry + absl::Hours(1)));
  EXPECT_FALSE(snapshot->FindKeyByDigest(Sha256("gwk-forever"))
                   ->ExpiredAt(absl::FromUnixSeconds(int64_t{1} << 40)));
}

TEST(SnapshotCompile, ModelListsFollowTeamAndKeyNarrowingSorted) {
  auto proto = MakeSnapshot(1);
  AddKey(proto, "key_a_all", "gwk-a-all", "team-a");
  AddKey(proto, "key_a_narrow", "gwk-a-narrow", "team-a", {"gpt-4o", "not-a-model"});
  AddKey(proto, "key_b_all", "gwk-b-all", "team-b");
  // gpt-4o is outside team-b's list: a key cannot widen its team.
  AddKey(proto, "key_b_narrow", "gwk-b-narrow", "team-b", {"gpt-4o", "gpt-4o-mini"});
  const auto snapshot = CompileOrDie(proto);

  const auto models = [&](const char* key) {
    return snapshot->FindKeyByDigest(Sha256(key))->models->names;
  };
  using Names = std::vector<std::string>;
  EXPECT_EQ(models("gwk-a-all"), (Names{"gpt-4o", "gpt-4o-mini", "text-embedding-3-small"}));
  EXPECT_EQ(models("gwk-a-narrow"), (Names{"gpt-4o"}));
  // "future-model" is allowed but does not exist yet: not listed.
  EXPECT_EQ(models("gwk-b-all"), (Names{"gpt-4o-mini", "text-embedding-3-small"}));
  EXPECT_EQ(models("gwk-b-narrow"), (Names{"gpt-4o-mini"}));
  // Keys with the same list share one rendering.
  EXPECT_EQ(snapshot->FindKeyByDigest(Sha256("gwk-a-all"))->models.get(),
            snapshot->FindKeyByDigest(Sha256("gwk-a-all"))->models.get());
}

TEST(SnapshotCompile, RendersTheOpenAiModelsList) {
  auto proto = MakeSnapshot(1);
  AddKey(proto, "key_b", "gwk-b", "team-b");
  const auto snapshot = CompileOrDie(proto);
  const std::string& json =
      snapshot->FindKeyByDigest(Sha256("gwk-b"))->models->models_response_json;
  const boost::json::value value = boost::json::parse(json);
  EXPECT_EQ(value.at("object").as_string(), "list");
  ASSERT_EQ(value.at("data").as_array().size(), 2u);
  const auto& first = value.at("data").as_array()[0].as_object();
  EXPECT_EQ(first.at("id").as_string(), "gpt-4o-mini");
  EXPECT_EQ(first.at("object").as_string(), "model");
  EXPECT_EQ(first.at("created").as_int64(), 1764000000);
  EXPECT_EQ(first.at("owned_by").as_string(), "openai");
  EXPECT_EQ(ModelIds(json), (std::vector<std::string>{"gpt-4o-mini", "text-embedding-3-small"}));
}

TEST(SnapshotCompile, EmptyConfigurationHasNoKeysAndNoModels) {
  gateway::config::v1::Snapshot proto;
  proto.set_version(1);
  const auto snapshot = CompileOrDie(proto);
  EXPECT_EQ(snapshot->key_count(), 0u);
  EXPECT_EQ(snapshot->version(), 1);
}

// Guards against anything quadratic in the key count: revocations must reach requests in well
// under a second even with 100,000 keys.
TEST(SnapshotApplier, AppliesAHundredThousandKeysQuickly) {
  auto proto = MakeSnapshot(1);
  for (int i = 0; i < 100000; ++i) {
    AddKey(proto, "key_" + std::to_string(i), "gwk-key-" + std::to_string(i),
           i % 2 == 0 ? "team-a" : "team-b",
           i % 3 == 0 ? std::vector<std::string>{"gpt-4o"} : std::vector<std::string>{});
  }
  const std::string bytes = Serialized(proto);
  EXPECT_GT(bytes.size(), 4u * 1024 * 1024);  // Over gRPC's default receive limit.
  SnapshotStore store;
  SnapshotApplier applier(&store, "");
  const absl::Time start = absl::Now();
  ASSERT_TRUE(applier.Apply(bytes).ok());
  const absl::Duration took = absl::Now() - start;
  EXPECT_LT(took, absl::Seconds(2)) << took;
  const KeyInfo* key = store.Load()->FindKeyByDigest(Sha256("gwk-key-99999"));
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->id, "key_99999");
}

TEST(SnapshotStore, ReadersSeeNewSnapshotsWhilePinnedOnesStayAlive) {
  SnapshotStore store;
  SnapshotStore::Reader reader(store.slot());
  EXPECT_EQ(reader.Current(), nullptr);
  EXPECT_EQ(store.version(), 0);

  store.Publish(CompileOrDie(MakeSnapshot(1)));
  const std::shared_ptr<const Snapshot> pinned = reader.Current();
  ASSERT_NE(pinned, nullptr);
  EXPECT_EQ(pinned->version(), 1);

  store.Publish(CompileOrDie(MakeSnapshot(2)));
  EXPECT_EQ(reader.Current()->version(), 2);
  EXPECT_EQ(store.version(), 2);
  EXPECT_EQ(pinned->version(), 1);   // The request that pinned version 1 still has it.
  EXPECT_EQ(pinned.use_count(), 1);  // ...and is its last owner.
}

TEST(BudgetStateSlot, NewestSequenceWins) {
  BudgetStateSlot slot;
  EXPECT_EQ(slot.Load(), nullptr);
  gateway::config::v1::BudgetState state;
  state.set_sequence(5);
  state.add_teams()->set_team("team-a");
  EXPECT_TRUE(slot.Offer(state));
  state.set_sequence(3);
  EXPECT_FALSE(slot.Offer(state));
  state.set_sequence(5);
  EXPECT_FALSE(slot.Offer(state));
  ASSERT_NE(slot.Load(), nullptr);
  EXPECT_EQ(slot.Load()->sequence(), 5);
  state.set_sequence(6);
  EXPECT_TRUE(slot.Offer(state));
  EXPECT_EQ(slot.Load()->sequence(), 6);
}

TEST(SnapshotApplier, AppliesValidSnapshots) {
  SnapshotStore store;
  SnapshotApplier applier(&store, "");
  auto proto = MakeSnapshot(7);
  AddKey(proto, "key_a", "gwk-a", "team-a");
  absl::StatusOr<int64_t> version = applier.Apply(Serialized(proto));
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(*version, 7);
  EXPECT_EQ(store.version(), 7);
  EXPECT_NE(store.Load()->FindKeyByDigest(Sha256("gwk-a")), nullptr);
}

TEST(SnapshotApplier, RefusesNewerFeatureLevelAndKeepsTheOldSnapshot) {
  SnapshotStore store;
  SnapshotApplier applier(&store, "");
  ASSERT_TRUE(applier.Apply(Serialized(MakeSnapshot(1))).ok());
  auto newer = MakeSnapshot(2);
  newer.set_required_feature_level(kWorkerFeatureLevel + 1);
  absl::StatusOr<int64_t> refused = applier.Apply(Serialized(newer));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  EXPECT_EQ(store.version(), 1);
}

TEST(SnapshotApplier, RefusesInvalidOrUnparsableSnapshots) {
  SnapshotStore store;
  SnapshotApplier applier(&store, "");
  auto invalid = MakeSnapshot(3);
  invalid.mutable_config()->mutable_models(0)->set_provider("no-such-provider");
  EXPECT_EQ(applier.Apply(Serialized(invalid)).status().code(), absl::StatusCode::kInvalidArgument);
  auto orphan_key = MakeSnapshot(3);
  AddKey(orphan_key, "key_x", "gwk-x", "no-such-team");
  EXPECT_EQ(applier.Apply(Serialized(orphan_key)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(applier.Apply("\xff\xff\xff garbage").ok());
  EXPECT_EQ(store.version(), 0);
  EXPECT_EQ(store.Load(), nullptr);
}

}  // namespace
}  // namespace gw::dp
