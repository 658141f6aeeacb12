// Conversion between absl::Status (used inside both planes) and grpc::Status (on the wire).
// The codes share their numbering, so the mapping is 1:1 and keeps the message.
//   return gw::ToGrpcStatus(store.MutateConfig(...).status());
#pragma once

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace gw {

grpc::Status ToGrpcStatus(const absl::Status& status);

absl::Status ToAbslStatus(const grpc::Status& status);

}  // namespace gw
