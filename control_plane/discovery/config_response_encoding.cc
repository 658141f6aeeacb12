#include "control_plane/discovery/config_response_encoding.h"

#include <utility>

#include "gateway/discovery/v1/discovery.pb.h"
#include "grpcpp/support/slice.h"

namespace gw::cp {
namespace {

using gateway::discovery::v1::ConfigResponse;

void AppendVarint(uint64_t value, std::string& out) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// The slice's destroy callback: drops the stream's reference to the shared payload.
void ReleasePayload(void* owner) { delete static_cast<std::shared_ptr<const std::string>*>(owner); }

}  // namespace

grpc::ByteBuffer EncodeConfigResponse(int64_t version_info, absl::string_view nonce,
                                      ConfigPayload kind,
                                      std::shared_ptr<const std::string> payload) {
  // Protobuf parsers accept fields in any order, so the small fields are serialised by protobuf
  // itself and the payload field (tag + length + bytes) is appended by hand.
  ConfigResponse head;
  head.set_version_info(version_info);
  head.set_nonce(std::string(nonce));
  std::string header = head.SerializeAsString();
  uint32_t field = ConfigResponse::kSnapshotFieldNumber;
  switch (kind) {
    case ConfigPayload::kSnapshot:
      break;
    case ConfigPayload::kBudgetState:
      field = ConfigResponse::kBudgetStateFieldNumber;
      break;
    case ConfigPayload::kKeyRevocations:
      field = ConfigResponse::kKeyRevocationsFieldNumber;
      break;
  }
  constexpr uint32_t kLengthDelimited = 2;
  AppendVarint((field << 3) | kLengthDelimited, header);
  AppendVarint(payload->size(), header);

  grpc::Slice slices[2] = {grpc::Slice(header), grpc::Slice()};
  size_t slice_count = 1;
  if (!payload->empty()) {
    auto* owner = new std::shared_ptr<const std::string>(std::move(payload));
    // gRPC only reads the slice; the const_cast satisfies its C-style signature.
    slices[1] =
        grpc::Slice(const_cast<char*>((*owner)->data()), (*owner)->size(), &ReleasePayload, owner);
    slice_count = 2;
  }
  return grpc::ByteBuffer(slices, slice_count);
}

}  // namespace gw::cp
