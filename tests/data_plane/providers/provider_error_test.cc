#include "data_plane/providers/provider_error.h"

#include <string>

#include "boost/json/parse.hpp"
#include "boost/json/value.hpp"
#include "data_plane/upstream/upstream_timeouts.h"
#include "gtest/gtest.h"

namespace gw::dp {
namespace {

boost::json::object ErrorObject(const ProviderError& error) {
  const boost::json::value body = boost::json::parse(error.body);
  return body.at("error").as_object();
}

TEST(ProviderErrorTest, ProviderFourHundredPassesThroughStatusAndFields) {
  const ProviderError error = ProviderErrorFromResponse(
      400,
      R"({"error":{"message":"Invalid value for 'temperature'.","type":"invalid_request_error",)"
      R"("param":"temperature","code":"invalid_value"}})",
      "", "openai-main", "sk-secret");
  EXPECT_EQ(error.http_status, 400u);
  const auto object = ErrorObject(error);
  EXPECT_EQ(object.at("message"), "Invalid value for 'temperature'.");
  EXPECT_EQ(object.at("type"), "invalid_request_error");
  EXPECT_EQ(object.at("param"), "temperature");
  EXPECT_EQ(object.at("code"), "invalid_value");
}

TEST(ProviderErrorTest, RateLimitKeepsRetryAfterAndDefaultsMissingFields) {
  const ProviderError error =
      ProviderErrorFromResponse(429, R"({"error":{"message":"slow down"}})", "3", "p", "");
  EXPECT_EQ(error.http_status, 429u);
  EXPECT_EQ(error.retry_after, "3");
  const auto object = ErrorObject(error);
  EXPECT_EQ(object.at("message"), "slow down");
  EXPECT_EQ(object.at("type"), "rate_limit_error");
  EXPECT_TRUE(object.at("param").is_null());
  EXPECT_TRUE(object.at("code").is_null());
}

TEST(ProviderErrorTest, OtherShapesOfFourHundredBodies) {
  EXPECT_EQ(ErrorObject(ProviderErrorFromResponse(422, R"({"detail":"bad field"})", "", "vllm", ""))
                .at("message"),
            "bad field");
  EXPECT_EQ(ErrorObject(ProviderErrorFromResponse(404, R"({"error":"no such model"})", "", "p", ""))
                .at("message"),
            "no such model");
  const ProviderError html = ProviderErrorFromResponse(403, "<html>nope</html>", "", "p", "");
  EXPECT_EQ(html.http_status, 403u);
  EXPECT_EQ(ErrorObject(html).at("message"), "provider 'p' returned HTTP 403");
  EXPECT_EQ(ErrorObject(html).at("type"), "permission_error");
}

TEST(ProviderErrorTest, CredentialEchoedByTheProviderIsRedacted) {
  const ProviderError error = ProviderErrorFromResponse(
      401, R"({"error":{"message":"Incorrect API key provided: sk-secret-123."}})", "", "p",
      "sk-secret-123");
  EXPECT_EQ(error.http_status, 401u);
  EXPECT_EQ(error.body.find("sk-secret-123"), std::string::npos) << error.body;
  EXPECT_EQ(ErrorObject(error).at("type"), "authentication_error");
}

TEST(ProviderErrorTest, ProviderFiveHundredIsBadGateway) {
  const ProviderError error = ProviderErrorFromResponse(
      503, R"({"error":{"message":"The engine is currently overloaded"}})", "", "openai-main", "");
  EXPECT_EQ(error.http_status, 502u);
  const auto object = ErrorObject(error);
  EXPECT_EQ(object.at("type"), "api_error");
  EXPECT_EQ(object.at("message"),
            "provider 'openai-main' failed with HTTP 503: The engine is currently overloaded");
}

TEST(ProviderErrorTest, LongProviderMessageIsCutOnACharacterBoundary) {
  std::string long_message(499, 'a');
  for (int i = 0; i < 10; ++i) long_message += "\xc3\xa9";  // é, two bytes each.
  const ProviderError error = ProviderErrorFromResponse(
      500, "{\"error\":{\"message\":\"" + long_message + "\"}}", "", "p", "");
  boost::system::error_code parse_error;
  boost::json::parse(error.body, parse_error);  // Refuses invalid UTF-8.
  EXPECT_FALSE(parse_error) << error.body;
}

TEST(ProviderErrorTest, UpstreamFailures) {
  const ProviderError timeout = ProviderErrorFromStatus(
      MakeUpstreamTimeoutError(UpstreamTimeout::kFirstByte, "upstream https://10.0.0.1:443: x"),
      "openai-main");
  EXPECT_EQ(timeout.http_status, 504u);
  EXPECT_EQ(ErrorObject(timeout).at("type"), "api_error");
  EXPECT_EQ(ErrorObject(timeout).at("message"),
            "provider 'openai-main' timed out (first_byte timeout)");

  const ProviderError unreachable = ProviderErrorFromStatus(
      absl::UnavailableError("upstream https://10.0.0.1:443: connecting: refused"), "local");
  EXPECT_EQ(unreachable.http_status, 502u);
  EXPECT_EQ(ErrorObject(unreachable).at("type"), "api_error");
  // The provider's address stays in the log, not in what clients see.
  EXPECT_EQ(unreachable.body.find("10.0.0.1"), std::string::npos);

  EXPECT_EQ(ProviderErrorFromStatus(absl::CancelledError(""), "p").http_status, 499u);
  EXPECT_EQ(ProviderErrorFromStatus(absl::ResourceExhaustedError(""), "p").http_status, 502u);
}

TEST(ProviderErrorTest, StreamErrorEvent) {
  const ProviderError error = ProviderErrorFromStatus(absl::UnavailableError("x"), "p");
  std::string out;
  AppendStreamErrorEvent(error, out);
  EXPECT_EQ(out, "data: " + error.body + "\n\n");
}

TEST(ProviderErrorTest, RetryAfterWithLineBreaksIsDropped) {
  EXPECT_EQ(ProviderErrorFromResponse(429, "{}", "1\r\nX: y", "p", "").retry_after, "");
}

}  // namespace
}  // namespace gw::dp
