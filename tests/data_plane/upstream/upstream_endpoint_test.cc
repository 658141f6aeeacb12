#include "data_plane/upstream/upstream_endpoint.h"

#include "gtest/gtest.h"

namespace gw::dp {
namespace {

TEST(UpstreamEndpointTest, OpenAiBaseUrl) {
  const auto endpoint = ParseUpstreamEndpoint("https://api.openai.com/v1");
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  EXPECT_TRUE(endpoint->tls);
  EXPECT_EQ(endpoint->host, "api.openai.com");
  EXPECT_EQ(endpoint->port, 443);
  EXPECT_EQ(endpoint->base_path, "/v1");
  EXPECT_EQ(endpoint->host_header, "api.openai.com");
  EXPECT_EQ(endpoint->pool_key, "https://api.openai.com:443");
  EXPECT_EQ(endpoint->PathFor("/chat/completions"), "/v1/chat/completions");
}

TEST(UpstreamEndpointTest, LocalServerWithPortAndTrailingSlash) {
  const auto endpoint = ParseUpstreamEndpoint("http://127.0.0.1:8000/v1/");
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  EXPECT_FALSE(endpoint->tls);
  EXPECT_EQ(endpoint->host, "127.0.0.1");
  EXPECT_EQ(endpoint->port, 8000);
  EXPECT_EQ(endpoint->base_path, "/v1");
  EXPECT_EQ(endpoint->host_header, "127.0.0.1:8000");
  EXPECT_EQ(endpoint->pool_key, "http://127.0.0.1:8000");
}

TEST(UpstreamEndpointTest, BareOriginAndDefaultPorts) {
  auto endpoint = ParseUpstreamEndpoint("https://api.anthropic.com");
  ASSERT_TRUE(endpoint.ok());
  EXPECT_EQ(endpoint->base_path, "");
  EXPECT_EQ(endpoint->PathFor("/v1/messages"), "/v1/messages");
  endpoint = ParseUpstreamEndpoint("http://localhost:80/x");
  ASSERT_TRUE(endpoint.ok());
  EXPECT_EQ(endpoint->host_header, "localhost");
  EXPECT_EQ(endpoint->pool_key, "http://localhost:80");
}

TEST(UpstreamEndpointTest, Ipv6Literal) {
  const auto endpoint = ParseUpstreamEndpoint("http://[::1]:8080/v1");
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  EXPECT_EQ(endpoint->host, "::1");
  EXPECT_EQ(endpoint->host_header, "[::1]:8080");
}

TEST(UpstreamEndpointTest, RefusesWhatABaseUrlCannotHave) {
  for (const char* bad :
       {"", "api.openai.com/v1", "ftp://x/v1", "https:///v1", "https://user:pw@x/v1",
        "https://x/v1?a=b", "https://x/v1#f", "https://x:0/", "https://x:99999/"}) {
    EXPECT_EQ(ParseUpstreamEndpoint(bad).status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(UpstreamEndpointTest, ErrorDoesNotEchoUserInfo) {
  // A password in a URL is a secret.
  const auto status = ParseUpstreamEndpoint("https://user:hunter2@x/v1").status();
  EXPECT_EQ(status.message().find("hunter2"), absl::string_view::npos) << status;
}

}  // namespace
}  // namespace gw::dp
