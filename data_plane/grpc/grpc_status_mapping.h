// How the pipeline's HTTP answers become gRPC statuses: the HTTP status picks the code (the table
// in the Inference proto), the OpenAI error object's message becomes the status message.
//   grpc::Status status = GrpcStatusFromHttpError(ctx.response.status, ctx.response.body);
//   grpc::Status failed = GrpcStatusFromStreamError(R"({"error":{"type":"api_error",...}})");
#pragma once

#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

namespace gw::dp {

// 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 NOT_FOUND, other 4xx (400, 413, 422...)
// INVALID_ARGUMENT except 408 and 504 DEADLINE_EXCEEDED, 409 ABORTED, 429 RESOURCE_EXHAUSTED,
// 499 CANCELLED, 501 UNIMPLEMENTED, other 5xx (502, 503) UNAVAILABLE, 500 INTERNAL.
grpc::StatusCode GrpcCodeForHttpStatus(unsigned http_status);

// The status of a non-2xx answer whose body is an OpenAI error object (any other body gives a
// generic message with the HTTP status; bodies are never echoed raw).
grpc::Status GrpcStatusFromHttpError(unsigned http_status, absl::string_view body);

// The final status of a stream that ended with `data: {"error": ...}` after its first event: the
// code follows the error's type (and `upstream_timeout` code), the message is the error's.
grpc::Status GrpcStatusFromStreamError(absl::string_view event_data);

}  // namespace gw::dp
