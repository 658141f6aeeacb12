// The pipeline's HTTP answers as gRPC statuses: the code table of the Inference proto, and the
// OpenAI error message as the status message.
#include "data_plane/grpc/grpc_status_mapping.h"

#include "gtest/gtest.h"

namespace gw::dp {
namespace {

TEST(GrpcCodeForHttpStatusTest, FollowsTheInferenceContractTable) {
  EXPECT_EQ(GrpcCodeForHttpStatus(400), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GrpcCodeForHttpStatus(401), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(GrpcCodeForHttpStatus(403), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(GrpcCodeForHttpStatus(404), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GrpcCodeForHttpStatus(413), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GrpcCodeForHttpStatus(429), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(GrpcCodeForHttpStatus(502), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(GrpcCodeForHttpStatus(504), grpc::StatusCode::DEADLINE_EXCEEDED);
}

TEST(GrpcCodeForHttpStatusTest, ProviderStatusesPassedThroughMapSensibly) {
  EXPECT_EQ(GrpcCodeForHttpStatus(422), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GrpcCodeForHttpStatus(409), grpc::StatusCode::ABORTED);
  EXPECT_EQ(GrpcCodeForHttpStatus(408), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(GrpcCodeForHttpStatus(500), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(GrpcCodeForHttpStatus(503), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(GrpcCodeForHttpStatus(499), grpc::StatusCode::CANCELLED);
}

TEST(GrpcStatusFromHttpErrorTest, CarriesTheOpenAiErrorMessage) {
  const grpc::Status status = GrpcStatusFromHttpError(
      403, R"({"error":{"message":"The key may not use model 'x'.","type":"permission_error",
               "param":null,"code":"model_not_allowed"}})");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(), "The key may not use model 'x'.");
}

TEST(GrpcStatusFromHttpErrorTest, AnotherBodyIsNeverEchoed) {
  const grpc::Status status = GrpcStatusFromHttpError(502, "<html>secret upstream page</html>");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message().find("secret"), std::string::npos);
  EXPECT_NE(status.error_message().find("502"), std::string::npos);
}

TEST(GrpcStatusFromStreamErrorTest, TimeoutIsDeadlineExceededOtherFailuresUnavailable) {
  const grpc::Status timeout = GrpcStatusFromStreamError(
      R"j({"error":{"message":"provider 'p' timed out (idle timeout)","type":"api_error",
               "param":null,"code":"upstream_timeout"}})j");
  EXPECT_EQ(timeout.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(timeout.error_message(), "provider 'p' timed out (idle timeout)");
  const grpc::Status broken = GrpcStatusFromStreamError(
      R"({"error":{"message":"cut","type":"api_error","param":null,"code":"upstream_error"}})");
  EXPECT_EQ(broken.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(broken.error_message(), "cut");
  EXPECT_EQ(GrpcStatusFromStreamError(R"({"error":{"message":"slow","type":"rate_limit_error"}})")
                .error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(GrpcStatusFromStreamError("garbage").error_code(), grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace gw::dp
