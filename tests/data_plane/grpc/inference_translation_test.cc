// The gRPC Inference messages as OpenAI JSON bodies and back: what a provider would receive for a
// gRPC request, and what a gRPC client gets from a provider's JSON answer.
#include "data_plane/grpc/inference_translation.h"

#include <cmath>
#include <limits>
#include <string>

#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace gw::dp {
namespace {

namespace json = boost::json;
namespace inference = gateway::inference::v1;

json::object ParseObject(const std::string& text) {
  boost::system::error_code error;
  json::value value = json::parse(text, error);
  EXPECT_FALSE(error) << text;
  EXPECT_TRUE(value.is_object()) << text;
  return value.is_object() ? value.as_object() : json::object();
}

TEST(ChatRequestToJsonTest, MinimalRequestHasModelAndMessagesOnly) {
  inference::ChatCompletionRequest request;
  request.set_model("chat");
  inference::ChatMessage* message = request.add_messages();
  message->set_role("user");
  message->set_content("hello \"world\"\n");

  absl::StatusOr<std::string> body = ChatRequestToJson(request, /*stream=*/false);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(
      json::parse(*body),
      json::parse(R"({"model":"chat","messages":[{"role":"user","content":"hello \"world\"\n"}]})"))
      << *body;
}

TEST(ChatRequestToJsonTest, EveryOptionalFieldIsMappedWithItsOpenAiName) {
  inference::ChatCompletionRequest request;
  request.set_model("chat");
  request.add_messages()->set_role("system");
  request.mutable_max_tokens()->set_value(0);  // Set to zero is still set.
  request.mutable_temperature()->set_value(0.7);
  request.mutable_top_p()->set_value(1.0);
  request.mutable_n()->set_value(2);
  request.add_stop("a");
  request.add_stop("b");
  request.set_user("u-1");
  (*request.mutable_metadata())["zeta"] = "1";
  (*request.mutable_metadata())["alpha"] = "2";
  request.mutable_seed()->set_value(12345678901);

  absl::StatusOr<std::string> body = ChatRequestToJson(request, /*stream=*/false);
  ASSERT_TRUE(body.ok()) << body.status();
  const json::object object = ParseObject(*body);
  EXPECT_EQ(object.at("max_tokens").as_int64(), 0);
  EXPECT_EQ(object.at("n").as_int64(), 2);
  EXPECT_EQ(object.at("seed").as_int64(), 12345678901);
  EXPECT_EQ(object.at("stop"), json::parse(R"(["a","b"])"));
  EXPECT_EQ(object.at("user").as_string(), "u-1");
  EXPECT_EQ(object.at("metadata"), json::parse(R"({"alpha":"2","zeta":"1"})"));
  EXPECT_FALSE(object.contains("stream"));
  // Numbers in their plain form, as a JSON client would write them.
  EXPECT_NE(body->find("\"temperature\":0.7"), std::string::npos) << *body;
  EXPECT_NE(body->find("\"top_p\":1"), std::string::npos) << *body;
  // Metadata keys sorted: equal requests give equal bodies.
  EXPECT_LT(body->find("alpha"), body->find("zeta"));
}

TEST(ChatRequestToJsonTest, UnsetWrappersAreLeftOut) {
  inference::ChatCompletionRequest request;
  request.set_model("chat");
  absl::StatusOr<std::string> body = ChatRequestToJson(request, /*stream=*/false);
  ASSERT_TRUE(body.ok()) << body.status();
  const json::object object = ParseObject(*body);
  for (const char* field : {"max_tokens", "temperature", "top_p", "n", "stop", "user", "metadata",
                            "seed", "stream_options"}) {
    EXPECT_FALSE(object.contains(field)) << field << " in " << *body;
  }
  EXPECT_EQ(object.at("messages"), json::array());
}

TEST(ChatRequestToJsonTest, StreamAsksForTheUsageChunk) {
  inference::ChatCompletionRequest request;
  request.set_model("chat");
  absl::StatusOr<std::string> body = ChatRequestToJson(request, /*stream=*/true);
  ASSERT_TRUE(body.ok()) << body.status();
  const json::object object = ParseObject(*body);
  EXPECT_TRUE(object.at("stream").as_bool());
  EXPECT_TRUE(object.at("stream_options").at("include_usage").as_bool());
}

TEST(ChatRequestToJsonTest, ToolCallsAndToolResultsKeepTheirShape) {
  inference::ChatCompletionRequest request;
  request.set_model("chat");
  inference::ChatMessage* assistant = request.add_messages();
  assistant->set_role("assistant");
  inference::ToolCall* call = assistant->add_tool_calls();
  call->set_id("call_1");
  call->mutable_function()->set_name("lookup");
  call->mutable_function()->set_arguments(R"({"q":"x"})");
  inference::ChatMessage* tool = request.add_messages();
  tool->set_role("tool");
  tool->set_tool_call_id("call_1");
  tool->set_name("lookup");
  tool->set_content("42");

  absl::StatusOr<std::string> body = ChatRequestToJson(request, /*stream=*/false);
  ASSERT_TRUE(body.ok()) << body.status();
  const json::array messages = ParseObject(*body).at("messages").as_array();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0], json::parse(R"({"role":"assistant","content":null,"tool_calls":[
      {"id":"call_1","type":"function","function":{"name":"lookup","arguments":"{\"q\":\"x\"}"}}]})"));
  EXPECT_EQ(
      messages[1],
      json::parse(R"({"role":"tool","content":"42","name":"lookup","tool_call_id":"call_1"})"));
}

TEST(ChatRequestToJsonTest, NonFiniteTemperatureIsInvalidArgument) {
  inference::ChatCompletionRequest request;
  request.set_model("chat");
  request.mutable_temperature()->set_value(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(ChatRequestToJson(request, false).status().code(), absl::StatusCode::kInvalidArgument);
  request.clear_temperature();
  request.mutable_top_p()->set_value(std::numeric_limits<double>::infinity());
  EXPECT_EQ(ChatRequestToJson(request, false).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(EmbeddingRequestToJsonTest, MapsInputsDimensionsAndUser) {
  inference::EmbeddingRequest request;
  request.set_model("embed");
  request.add_input("one two");
  request.add_input("three");
  request.mutable_dimensions()->set_value(4);
  request.set_user("u");
  absl::StatusOr<std::string> body = EmbeddingRequestToJson(request);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(json::parse(*body),
            json::parse(R"({"model":"embed","input":["one two","three"],"encoding_format":"float",
                            "dimensions":4,"user":"u"})"));
}

TEST(EmbeddingRequestToJsonTest, Base64EncodingIsRefused) {
  inference::EmbeddingRequest request;
  request.set_model("embed");
  request.set_encoding_format("base64");
  EXPECT_EQ(EmbeddingRequestToJson(request).status().code(), absl::StatusCode::kInvalidArgument);
  request.set_encoding_format("float");
  EXPECT_TRUE(EmbeddingRequestToJson(request).ok());
}

TEST(ChatCompletionFromJsonTest, ReadsAnOpenAiCompletionAndDropsUnknownFields) {
  const absl::StatusOr<inference::ChatCompletion> completion = ChatCompletionFromJson(R"({
    "id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000, "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi there",
                 "refusal": null, "annotations": []}, "logprobs": null, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5,
              "prompt_tokens_details": {"cached_tokens": 1, "audio_tokens": 0},
              "completion_tokens_details": {"reasoning_tokens": 0}},
    "service_tier": "default", "system_fingerprint": "fp_1"})");
  ASSERT_TRUE(completion.ok()) << completion.status();
  EXPECT_EQ(completion->id(), "chatcmpl-1");
  EXPECT_EQ(completion->object(), "chat.completion");
  EXPECT_EQ(completion->created(), 1700000000);
  EXPECT_EQ(completion->model(), "m");
  EXPECT_EQ(completion->system_fingerprint(), "fp_1");
  ASSERT_EQ(completion->choices_size(), 1);
  EXPECT_EQ(completion->choices(0).message().role(), "assistant");
  EXPECT_EQ(completion->choices(0).message().content(), "hi there");
  EXPECT_EQ(completion->choices(0).finish_reason(), "stop");
  EXPECT_EQ(completion->usage().prompt_tokens(), 3);
  EXPECT_EQ(completion->usage().completion_tokens(), 2);
  EXPECT_EQ(completion->usage().total_tokens(), 5);
  EXPECT_EQ(completion->usage().prompt_tokens_details().cached_tokens(), 1);
}

TEST(ChatCompletionFromJsonTest, ToolCallsWithNullContent) {
  const absl::StatusOr<inference::ChatCompletion> completion = ChatCompletionFromJson(R"({
    "id": "c", "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
      "role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
      "function": {"name": "lookup", "arguments": "{\"q\":1}"}}]}}]})");
  ASSERT_TRUE(completion.ok()) << completion.status();
  const inference::ChatMessage& message = completion->choices(0).message();
  EXPECT_EQ(message.content(), "");
  ASSERT_EQ(message.tool_calls_size(), 1);
  EXPECT_EQ(message.tool_calls(0).id(), "call_1");
  EXPECT_EQ(message.tool_calls(0).function().name(), "lookup");
  EXPECT_EQ(message.tool_calls(0).function().arguments(), R"({"q":1})");
}

TEST(ChatCompletionFromJsonTest, NotAnObjectIsInternal) {
  EXPECT_EQ(ChatCompletionFromJson("not json").status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ChatCompletionFromJson(R"({"choices": "many"})").status().code(),
            absl::StatusCode::kInternal);
}

TEST(ChatCompletionChunkFromJsonTest, ReadsDeltasFinishReasonAndTheUsageChunk) {
  const absl::StatusOr<inference::ChatCompletionChunk> delta = ChatCompletionChunkFromJson(R"({
    "id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
    "choices": [{"index": 0, "delta": {"content": " world"}, "finish_reason": null}],
    "usage": null})");
  ASSERT_TRUE(delta.ok()) << delta.status();
  EXPECT_EQ(delta->object(), "chat.completion.chunk");
  ASSERT_EQ(delta->choices_size(), 1);
  EXPECT_EQ(delta->choices(0).delta().content(), " world");
  EXPECT_EQ(delta->choices(0).finish_reason(), "");
  EXPECT_FALSE(delta->has_usage());

  const absl::StatusOr<inference::ChatCompletionChunk> usage = ChatCompletionChunkFromJson(
      R"({"id": "c", "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 4,
          "total_tokens": 7}})");
  ASSERT_TRUE(usage.ok()) << usage.status();
  EXPECT_EQ(usage->choices_size(), 0);
  ASSERT_TRUE(usage->has_usage());
  EXPECT_EQ(usage->usage().total_tokens(), 7);
}

TEST(EmbeddingResponseFromJsonTest, ReadsVectorsAndUsage) {
  const absl::StatusOr<inference::EmbeddingResponse> response = EmbeddingResponseFromJson(R"({
    "object": "list", "model": "e", "usage": {"prompt_tokens": 2, "total_tokens": 2},
    "data": [{"object": "embedding", "index": 0, "embedding": [0.5, -0.25]},
             {"object": "embedding", "index": 1, "embedding": [1, 0]}]})");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->object(), "list");
  EXPECT_EQ(response->model(), "e");
  ASSERT_EQ(response->data_size(), 2);
  EXPECT_EQ(response->data(1).index(), 1);
  ASSERT_EQ(response->data(0).embedding_size(), 2);
  EXPECT_FLOAT_EQ(response->data(0).embedding(0), 0.5f);
  EXPECT_FLOAT_EQ(response->data(0).embedding(1), -0.25f);
  EXPECT_EQ(response->usage().prompt_tokens(), 2);
}

TEST(ListModelsFromJsonTest, ReadsTheModelList) {
  const absl::StatusOr<inference::ListModelsResponse> models = ListModelsFromJson(
      R"({"object": "list", "data": [{"id": "chat", "object": "model", "created": 5,
          "owned_by": "fake"}]})");
  ASSERT_TRUE(models.ok()) << models.status();
  ASSERT_EQ(models->data_size(), 1);
  EXPECT_EQ(models->data(0).id(), "chat");
  EXPECT_EQ(models->data(0).object(), "model");
  EXPECT_EQ(models->data(0).created(), 5);
  EXPECT_EQ(models->data(0).owned_by(), "fake");
}

}  // namespace
}  // namespace gw::dp
