// Revocations that arrive ahead of their snapshot: the worker's slot and the key auth stage that
// refuses a key in it with the same 401 as a key the snapshot no longer has.
#include <memory>
#include <memory_resource>
#include <string>
#include <tuple>
#include <utility>

#include "absl/time/clock.h"
#include "common/api_key.h"
#include "data_plane/config/key_revocation_slot.h"
#include "data_plane/config/snapshot.h"
#include "data_plane/pipeline/request_context.h"
#include "data_plane/stages/auth/key_auth_stage.h"
#include "gtest/gtest.h"
#include "test_snapshots.h"

namespace gw::dp {
namespace {
using ::gw::testing::AddKey;
using ::gw::testing::MakeSnapshot;

gateway::config::v1::KeyRevocations Revocations(
    int64_t sequence,
    std::initializer_list<std::pair<const char*, int64_t>> plaintext_and_version) {
  gateway::config::v1::KeyRevocations revocations;
  revocations.set_sequence(sequence);
  for (const auto& [plaintext, version] : plaintext_and_version) {
    auto* key = revocations.add_keys();
    key->set_key_id(std::string("key_") + plaintext);
    key->set_sha256(Sha256(plaintext));
    key->set_version(version);
  }
  return revocations;
}

TEST(KeyRevocationSlot, HoldsEntriesNewerThanTheAppliedSnapshotUntilOneReflectsThem) {
  KeyRevocationSlot slot;
  EXPECT_FALSE(slot.IsRevoked(Sha256("gwk-a")));
  // gwk-old was revoked in version 4, which the worker already runs: redundant, not held.
  ASSERT_TRUE(slot.Offer(Revocations(1, {{"gwk-old", 4}, {"gwk-a", 5}, {"gwk-b", 6}}), 4));
  EXPECT_EQ(slot.size(), 2u);
  EXPECT_FALSE(slot.IsRevoked(Sha256("gwk-old")));
  EXPECT_TRUE(slot.IsRevoked(Sha256("gwk-a")));
  EXPECT_TRUE(slot.IsRevoked(Sha256("gwk-b")));
  EXPECT_FALSE(slot.IsRevoked(Sha256("gwk-c")));

  // An older or repeated list is dropped.
  EXPECT_FALSE(slot.Offer(Revocations(1, {}), 0));
  EXPECT_TRUE(slot.IsRevoked(Sha256("gwk-a")));

  slot.PruneReflectedBy(5);
  EXPECT_FALSE(slot.IsRevoked(Sha256("gwk-a")));
  EXPECT_TRUE(slot.IsRevoked(Sha256("gwk-b")));
  slot.PruneReflectedBy(6);
  EXPECT_EQ(slot.size(), 0u);
  EXPECT_FALSE(slot.IsRevoked(Sha256("gwk-b")));

  ASSERT_TRUE(slot.Offer(Revocations(2, {{"gwk-c", 7}}), 6));
  EXPECT_TRUE(slot.IsRevoked(Sha256("gwk-c")));
}

class KeyAuthStageRevocationTest : public ::testing::Test {
 protected:
  KeyAuthStageRevocationTest() {
    gateway::config::v1::Snapshot proto = MakeSnapshot(4);
    AddKey(proto, "key_a", "gwk-alpha", "team-a");
    AddKey(proto, "key_b", "gwk-bravo", "team-a");
    absl::StatusOr<std::shared_ptr<const Snapshot>> compiled = Snapshot::Compile(std::move(proto));
    EXPECT_TRUE(compiled.ok()) << compiled.status();
    snapshot_ = *compiled;
  }

  // The status the stage answers for `key`, or 0 when it lets the request continue.
  unsigned Authenticate(const KeyAuthStage& stage, const std::string& key) {
    HttpRequest request(std::piecewise_construct, std::make_tuple(),
                        std::make_tuple(RequestFieldAllocator(&arena_)));
    request.set("authorization", "Bearer " + key);
    RequestContext ctx;
    ctx.request = &request;
    ctx.snapshot = snapshot_;
    ctx.received_at = absl::Now();
    const StageVerdict verdict = stage.OnRequest(ctx);
    if (verdict == StageVerdict::kContinue) return 0;
    last_body_ = ctx.response.body;
    return ctx.response.status;
  }

  std::pmr::monotonic_buffer_resource arena_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::string last_body_;
};

TEST_F(KeyAuthStageRevocationTest, RefusesAKeyRevokedAheadOfItsSnapshotAndAcceptsOthers) {
  KeyRevocationSlot slot;
  const KeyAuthStage stage(&slot);
  EXPECT_EQ(Authenticate(stage, "gwk-alpha"), 0u);

  ASSERT_TRUE(slot.Offer(Revocations(1, {{"gwk-alpha", 5}}), 4));
  EXPECT_EQ(Authenticate(stage, "gwk-alpha"), 401u);
  EXPECT_NE(last_body_.find("invalid_api_key"), std::string::npos) << last_body_;
  // Exactly the answer for a key the snapshot does not have.
  const std::string revoked_body = last_body_;
  EXPECT_EQ(Authenticate(stage, "gwk-unknown"), 401u);
  EXPECT_EQ(last_body_, revoked_body);
  EXPECT_EQ(Authenticate(stage, "gwk-bravo"), 0u);

  // Once the snapshot of version 5 is applied the entry goes; that snapshot lacks the key anyway.
  slot.PruneReflectedBy(5);
  EXPECT_EQ(Authenticate(stage, "gwk-bravo"), 0u);
}

TEST_F(KeyAuthStageRevocationTest, WithoutASlotTheSnapshotAloneDecides) {
  const KeyAuthStage stage;
  EXPECT_EQ(Authenticate(stage, "gwk-alpha"), 0u);
  EXPECT_EQ(Authenticate(stage, "gwk-unknown"), 401u);
}

}  // namespace
}  // namespace gw::dp
