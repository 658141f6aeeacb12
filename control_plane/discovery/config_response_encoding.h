// Wire encoding of ConfigResponse messages around a payload serialised once per config version
// (or budget state, or key revocations), so every stream shares the payload's bytes instead of
// copying them.
//   grpc::ByteBuffer b = EncodeConfigResponse(7, "12", ConfigPayload::kSnapshot, bytes);
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "grpcpp/support/byte_buffer.h"

namespace gw::cp {

enum class ConfigPayload { kSnapshot, kBudgetState, kKeyRevocations };

// Returns the bytes of a gateway.discovery.v1.ConfigResponse with `version_info`, `nonce` and
// `payload` in the oneof field named by `kind`. The buffer holds a reference to `payload`, not a
// copy: only the few header bytes are allocated per call.
grpc::ByteBuffer EncodeConfigResponse(int64_t version_info, absl::string_view nonce,
                                      ConfigPayload kind,
                                      std::shared_ptr<const std::string> payload);

}  // namespace gw::cp
