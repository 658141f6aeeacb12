// Tests that hand-framed ConfigResponse bytes parse as the generated message.
#include "control_plane/discovery/config_response_encoding.h"

#include <memory>
#include <string>
#include <vector>

#include "gateway/discovery/v1/discovery.pb.h"
#include "gtest/gtest.h"

namespace gw::cp {
namespace {

using gateway::discovery::v1::ConfigResponse;

ConfigResponse Decode(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(buffer.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  ConfigResponse response;
  EXPECT_TRUE(response.ParseFromString(bytes));
  return response;
}

TEST(ConfigResponseEncodingTest, SnapshotAndBudgetStateParseAsConfigResponse) {
  auto payload = std::make_shared<const std::string>(300, 'x');  // Multi-byte length varint.
  ConfigResponse snapshot =
      Decode(EncodeConfigResponse(1LL << 40, "17", ConfigPayload::kSnapshot, payload));
  EXPECT_EQ(snapshot.version_info(), 1LL << 40);
  EXPECT_EQ(snapshot.nonce(), "17");
  ASSERT_TRUE(snapshot.has_snapshot());
  EXPECT_EQ(snapshot.snapshot(), *payload);

  ConfigResponse budget = Decode(EncodeConfigResponse(3, "18", ConfigPayload::kBudgetState,
                                                      std::make_shared<const std::string>("b")));
  EXPECT_EQ(budget.version_info(), 3);
  ASSERT_TRUE(budget.has_budget_state());
  EXPECT_EQ(budget.budget_state(), "b");
}

TEST(ConfigResponseEncodingTest, EmptyPayloadStillSetsTheOneofField) {
  ConfigResponse budget = Decode(EncodeConfigResponse(0, "1", ConfigPayload::kBudgetState,
                                                      std::make_shared<const std::string>()));
  EXPECT_TRUE(budget.has_budget_state());
  EXPECT_TRUE(budget.budget_state().empty());
}

TEST(ConfigResponseEncodingTest, BufferSharesThePayloadInsteadOfCopyingIt) {
  auto payload = std::make_shared<const std::string>(1 << 20, 'y');
  {
    grpc::ByteBuffer buffer = EncodeConfigResponse(1, "1", ConfigPayload::kSnapshot, payload);
    EXPECT_EQ(payload.use_count(), 2);
    std::vector<grpc::Slice> slices;
    ASSERT_TRUE(buffer.Dump(&slices).ok());
    ASSERT_EQ(slices.size(), 2u);
    EXPECT_EQ(reinterpret_cast<const char*>(slices[1].begin()), payload->data());
  }
  EXPECT_EQ(payload.use_count(), 1);
}

}  // namespace
}  // namespace gw::cp
