#include "data_plane/providers/openai/openai_provider.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "boost/json/parse.hpp"
#include "boost/json/serialize.hpp"
#include "boost/json/value.hpp"
#include "gtest/gtest.h"

namespace gw::dp {
namespace {

OpenAiProvider Provider(absl::string_view credential = "sk-test-123") {
  auto provider = MakeOpenAiProvider("openai-main", "https://api.openai.com/v1", credential);
  EXPECT_TRUE(provider.ok()) << provider.status();
  return *provider;
}

// Plans point into their provider: it must outlive them.
const OpenAiProvider& TestProvider() {
  static const OpenAiProvider* provider = new OpenAiProvider(Provider());
  return *provider;
}

std::string Joined(const OpenAiRequestPlan& plan) {
  std::string out;
  for (const absl::string_view piece : plan.body) out.append(piece.data(), piece.size());
  return out;
}

std::string PlanChat(const std::string& body, absl::string_view upstream_model,
                     OpenAiRequestPlan& plan, const OpenAiProvider& provider = TestProvider()) {
  JsonObjectScan scan;
  const absl::Status scanned = ScanJsonObject(body, scan);
  EXPECT_TRUE(scanned.ok()) << scanned;
  const absl::Status planned =
      PlanChatCompletion(provider, body, scan, upstream_model, "req-1", plan);
  EXPECT_TRUE(planned.ok()) << planned;
  const std::string spliced = Joined(plan);
  EXPECT_EQ(plan.body_size(), spliced.size());
  return spliced;
}

TEST(OpenAiProviderTest, CompilesEndpointPathsAndAuthorization) {
  const OpenAiProvider provider = Provider();
  EXPECT_EQ(provider.chat_completions_path, "/v1/chat/completions");
  EXPECT_EQ(provider.embeddings_path, "/v1/embeddings");
  EXPECT_EQ(provider.authorization, "Bearer sk-test-123");
  EXPECT_EQ(provider.endpoint.host, "api.openai.com");
}

TEST(OpenAiProviderTest, RefusesCredentialThatWouldInjectHeadersWithoutEchoingIt) {
  const auto provider =
      MakeOpenAiProvider("p", "https://api.openai.com/v1", "sk-secret\r\nX-Evil: 1");
  EXPECT_EQ(provider.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(provider.status().message().find("sk-secret"), absl::string_view::npos);
}

TEST(OpenAiProviderTest, NoCredentialNoAuthorizationHeader) {
  auto provider = MakeOpenAiProvider("local", "http://127.0.0.1:8000/v1", "");
  ASSERT_TRUE(provider.ok());
  OpenAiRequestPlan plan;
  PlanChat(R"({"model":"m","messages":[]})", "m", plan, *provider);
  for (const UpstreamHeader& header : plan.headers) EXPECT_NE(header.name, "Authorization");
}

TEST(OpenAiProviderTest, SplicesModelAndKeepsEveryOtherByte) {
  const std::string body =
      "{ \"model\" :\t\"my-alias\", \"temperature\": 0.7, \"top_p\": 1.0, \"x\": 1e-3,\n"
      " \"messages\": [{\"role\": \"user\", \"content\": \"caf\\u00e9 \\\"quoted\\\" "
      "\xf0\x9f\x98\x80\"}],\n"
      " \"unknown_vendor_field\": {\"deep\": [1, 2.50, {\"model\": \"not me\"}]}, "
      "\"max_tokens\": 100 }";
  OpenAiRequestPlan plan;
  const std::string spliced = PlanChat(body, "gpt-4o-2024-08-06", plan);
  std::string expected = body;
  expected.replace(expected.find("\"my-alias\""), 10, "\"gpt-4o-2024-08-06\"");
  EXPECT_EQ(spliced, expected);
  EXPECT_FALSE(plan.stream);
  EXPECT_EQ(plan.path, "/v1/chat/completions");
  // Numbers exactly as sent, where a re-serialising parser would write 7E-1 and 1E0.
  EXPECT_NE(spliced.find("\"temperature\": 0.7,"), std::string::npos);
  EXPECT_NE(spliced.find("\"top_p\": 1.0,"), std::string::npos);
}

TEST(OpenAiProviderTest, SameModelNameNeedsNoCopy) {
  const std::string body = R"({"model":"gpt-4o","messages":[]})";
  OpenAiRequestPlan plan;
  EXPECT_EQ(PlanChat(body, "gpt-4o", plan), body);
  ASSERT_EQ(plan.body.size(), 1u);
  EXPECT_EQ(plan.body[0].data(), body.data());  // The client's bytes themselves.
}

TEST(OpenAiProviderTest, ModelNameIsJsonEscaped) {
  OpenAiRequestPlan plan;
  const std::string spliced = PlanChat(R"({"model":"a"})", "we\"ird\\name", plan);
  EXPECT_EQ(spliced, R"({"model":"we\"ird\\name"})");
}

TEST(OpenAiProviderTest, EveryModelMemberIsReplaced) {
  OpenAiRequestPlan plan;
  const std::string spliced = PlanChat(R"({"model":"a","n":1,"mod\u0065l":"b"})", "up", plan);
  EXPECT_EQ(spliced, R"({"model":"up","n":1,"mod\u0065l":"up"})");
}

TEST(OpenAiProviderTest, MissingModelIsInvalid) {
  const std::string body = R"({"messages":[]})";
  JsonObjectScan scan;
  ASSERT_TRUE(ScanJsonObject(body, scan).ok());
  OpenAiRequestPlan plan;
  EXPECT_EQ(PlanChatCompletion(TestProvider(), body, scan, "m", "r", plan).code(),
            absl::StatusCode::kInvalidArgument);
}

struct StreamCase {
  std::string body;
  std::string expected;
  bool client_wants_usage;
};

TEST(OpenAiProviderTest, StreamsAlwaysAskForUsage) {
  const std::vector<StreamCase> cases = {
      {R"({"model":"m","stream":true})",
       R"({"model":"m","stream":true,"stream_options":{"include_usage":true}})", false},
      {R"({"model":"m","stream":true , "n":0.7 } )",
       R"({"model":"m","stream":true , "n":0.7 ,"stream_options":{"include_usage":true}} )", false},
      {R"({"model":"m","stream":true,"stream_options":{"include_usage":true}})",
       R"({"model":"m","stream":true,"stream_options":{"include_usage":true}})", true},
      {R"({"model":"m","stream":true,"stream_options":{"include_usage": false}})",
       R"({"model":"m","stream":true,"stream_options":{"include_usage": true}})", false},
      {R"({"model":"m","stream":true,"stream_options":{ }})",
       R"({"model":"m","stream":true,"stream_options":{"include_usage":true}})", false},
      {R"({"model":"m","stream":true,"stream_options":{"vendor":1}})",
       R"({"model":"m","stream":true,"stream_options":{"include_usage":true,"vendor":1}})", false},
      {R"({"model":"m","stream":true,"stream_options":null})",
       R"({"model":"m","stream":true,"stream_options":{"include_usage":true}})", false},
  };
  for (const StreamCase& c : cases) {
    OpenAiRequestPlan plan;
    EXPECT_EQ(PlanChat(c.body, "m", plan), c.expected) << c.body;
    EXPECT_TRUE(plan.stream);
    EXPECT_EQ(plan.client_wants_usage, c.client_wants_usage) << c.body;
    boost::system::error_code error;
    boost::json::parse(c.expected, error);
    EXPECT_FALSE(error) << c.expected;
  }
}

TEST(OpenAiProviderTest, NonStreamsKeepStreamOptionsAsSent) {
  OpenAiRequestPlan plan;
  const std::string body = R"({"model":"m","stream":false,"stream_options":null})";
  EXPECT_EQ(PlanChat(body, "m", plan), body);
  EXPECT_FALSE(plan.stream);
}

TEST(OpenAiProviderTest, SplicedBodyIsSemanticallyTheClientsWithTheChanges) {
  const std::string body =
      R"({"stream":true,"model":"alias","messages":[{"role":"user","content":"hi"}],)"
      R"("temperature":0.7,"tools":[{"type":"function","function":{"name":"f",)"
      R"("parameters":{"type":"object"}}}],"metadata":{"k":"v"}})";
  OpenAiRequestPlan plan;
  const std::string spliced = PlanChat(body, "upstream-model", plan);
  boost::json::value client = boost::json::parse(body);
  client.as_object()["model"] = "upstream-model";
  client.as_object()["stream_options"] = boost::json::object{{"include_usage", true}};
  EXPECT_EQ(boost::json::parse(spliced), client);
}

TEST(OpenAiProviderTest, HeadersCarryCredentialRequestIdAndIdentityEncoding) {
  OpenAiRequestPlan plan;
  PlanChat(R"({"model":"m"})", "m", plan);
  std::string headers;
  for (const UpstreamHeader& header : plan.headers) {
    absl::StrAppend(&headers, header.name, ": ", header.value, "\n");
  }
  EXPECT_EQ(headers,
            "Content-Type: application/json\nAuthorization: Bearer sk-test-123\n"
            "x-request-id: req-1\nAccept-Encoding: identity\n");
  const UpstreamRequest request = plan.ToUpstreamRequest();
  EXPECT_EQ(request.path, "/v1/chat/completions");
  EXPECT_FALSE(request.streaming);
}

TEST(OpenAiProviderTest, EmbeddingsSpliceOnlyTheModel) {
  const std::string body = R"({"input":["a","b"],"model":"emb","stream":true})";
  JsonObjectScan scan;
  ASSERT_TRUE(ScanJsonObject(body, scan).ok());
  OpenAiRequestPlan plan;
  ASSERT_TRUE(PlanEmbeddings(TestProvider(), body, scan, "text-embedding-3-small", "r", plan).ok());
  EXPECT_EQ(Joined(plan), R"({"input":["a","b"],"model":"text-embedding-3-small","stream":true})");
  EXPECT_FALSE(plan.stream);
  EXPECT_EQ(plan.path, "/v1/embeddings");
}

}  // namespace
}  // namespace gw::dp

namespace gw::dp {
namespace {

// Random valid bodies (mutated seeds that still parse): the spliced body always parses and
// equals the client's with only model (and, for streams, stream_options) changed.
TEST(OpenAiProviderFuzzTest, SplicedBodyIsAlwaysTheClientsWithTheChanges) {
  const std::vector<std::string> seeds = {
      R"({"model":"a","messages":[{"role":"user","content":"x"}],"temperature":0.7})",
      R"({"stream":true,"model":"a","stream_options":{"include_usage":false,"x":1},"n":1})",
      R"({"model":"a","stream":true,"stream_options":{}, "tools":[{"type":"function"}]})",
      R"({ "model" : "a" , "stream" : true , "stream_options" : null })",
  };
  const std::string alphabet = " \n{}[]\",:0123456789truefalsnl";
  uint64_t state = 0x2545F4914F6CDD1Dull;
  const auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  int checked = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string body = seeds[next() % seeds.size()];
    if (next() % 4 != 0) {
      const size_t at = next() % body.size();
      const char c = alphabet[next() % alphabet.size()];
      if (next() % 2 == 0) {
        body.insert(body.begin() + static_cast<std::ptrdiff_t>(at), c);
      } else {
        body.erase(at, 1);
      }
    }
    boost::system::error_code error;
    boost::json::value client = boost::json::parse(body, error);
    JsonObjectScan scan;
    if (error || !client.is_object() || !ScanJsonObject(body, scan).ok()) continue;
    if (!client.as_object().contains("model")) continue;
    OpenAiRequestPlan plan;
    ASSERT_TRUE(PlanChatCompletion(TestProvider(), body, scan, "up\"stream", "r", plan).ok());
    const std::string spliced = Joined(plan);
    boost::json::value upstream = boost::json::parse(spliced, error);
    ASSERT_FALSE(error) << body << " -> " << spliced;
    boost::json::object& expected = client.as_object();
    expected["model"] = "up\"stream";
    const boost::json::value* stream = expected.if_contains("stream");
    const bool streaming = stream != nullptr && stream->is_bool() && stream->as_bool();
    EXPECT_EQ(plan.stream, streaming) << body;
    if (streaming) {
      boost::json::value& options = expected["stream_options"];
      if (!options.is_object()) options = boost::json::object();
      options.as_object()["include_usage"] = true;
    }
    EXPECT_EQ(upstream, client) << body << " -> " << spliced;
    ++checked;
  }
  EXPECT_GT(checked, 1000);
}

}  // namespace
}  // namespace gw::dp
