// The worker's gRPC Inference API end to end: the real control plane configures a real
// gw-data-plane worker serving --grpc-listen, which answers a generated gRPC client from
// gw-fake-provider through the same pipelines as HTTP: unary and streamed chat, embeddings, the
// key's models, the error statuses, server reflection, and a cancelled stream that cancels the
// provider call.
#include <chrono>
#include <csignal>
#include <cstdint>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/json.hpp"
#include "gateway/inference/v1/inference.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/fakes/testing/fake_provider_process.h"
#include "tests/integration/harness/http_client.h"
#include "tests/integration/harness/poll.h"
#include "tests/integration/harness/stack.h"

namespace gw::testing {
namespace {

namespace json = boost::json;
namespace inference = gateway::inference::v1;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kProviderSecret[] = "sk-fake-provider-secret-grpc-0123456789";
constexpr char kProviderEnv[] = "GW_GRPC_TEST_PROVIDER_KEY";

struct Stack {
  TempDir dir = TempDir::Create("gw-grpc").value();
  ControlPlaneProcess cp{dir};
  std::unique_ptr<FakeProviderProcess> fake;
  std::optional<Process> worker;
  std::string http_address;
  std::string grpc_address;
  std::string key;  // Team "search": models "chat" and "embed" only.
  std::shared_ptr<grpc::Channel> channel;
};
Stack* stack = nullptr;

class GrpcInferenceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack = new Stack();
    ASSERT_TRUE(stack->cp.Start().ok()) << stack->cp.Log();
    auto fake =
        FakeProviderProcess::Start(GW_BIN_DIR "/gw-fake-provider", {"--api-key-env", kProviderEnv},
                                   {{kProviderEnv, kProviderSecret}});
    ASSERT_TRUE(fake.ok()) << fake.status();
    stack->fake = *std::move(fake);

    const Gwctl gwctl(stack->cp);
    gwctl.MustRun({"provider", "create", "fake", "--type", "openai-compatible", "--base-url",
                   stack->fake->base_url(), "--api-key-ref", absl::StrCat("env:", kProviderEnv)});
    gwctl.MustRun({"model", "create", "chat", "--provider", "fake", "--upstream-model",
                   "fake-upstream-chat"});
    gwctl.MustRun({"model", "create", "embed", "--provider", "fake"});
    gwctl.MustRun({"model", "create", "restricted", "--provider", "fake"});
    gwctl.MustRun({"team", "create", "search", "--allowed-models", "chat,embed"});
    auto key = gwctl.CreateKey("search");
    ASSERT_TRUE(key.ok()) << key.status();
    stack->key = *key;

    const std::string token_file = stack->dir.path() + "/worker-token";
    std::ofstream(token_file) << kWorkerToken;
    auto worker = StartDataPlane({.control_plane_address = stack->cp.address(),
                                  .state_dir = stack->dir.path() + "/worker",
                                  .worker_token_file = token_file,
                                  .threads = 2,
                                  .extra_flags = {},
                                  .env = {{kProviderEnv, kProviderSecret}}});
    ASSERT_TRUE(worker.ok()) << worker.status();
    stack->worker.emplace(*std::move(worker));
    auto addresses = WaitForDataPlaneListen(*stack->worker, absl::Seconds(20));
    ASSERT_TRUE(addresses.ok()) << addresses.status();
    stack->http_address = addresses->http;
    stack->grpc_address = addresses->grpc;
    ASSERT_THAT(stack->grpc_address, Not(HasSubstr(":0")));
    stack->channel = grpc::CreateChannel(stack->grpc_address, grpc::InsecureChannelCredentials());

    auto version = gwctl.Version();
    ASSERT_TRUE(version.ok()) << version.status();
    absl::Status ready = WaitUntilReadyAt(stack->http_address, *version, absl::Seconds(20));
    ASSERT_TRUE(ready.ok()) << ready << "\n" << stack->worker->LogTail();
  }

  static void TearDownTestSuite() {
    // SIGTERM stops the gRPC listener too, and the worker still exits 0.
    const absl::Status stopped = StopCleanly(stack->worker, absl::Seconds(30));
    EXPECT_TRUE(stopped.ok()) << stopped;
    delete stack;
    stack = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(stack, nullptr);
    ASSERT_NE(stack->channel, nullptr);
    ASSERT_TRUE(HttpRequest(stack->fake->address(), "DELETE", "/_fake/requests", {}, "").ok());
    stub_ = inference::Inference::NewStub(stack->channel);
  }

  void TearDown() override {
    if (HasFailure() && stack->worker) std::cerr << stack->worker->LogTail() << "\n";
  }

  // A context with the key (empty: none) and a deadline generous for a loaded machine.
  static std::unique_ptr<grpc::ClientContext> Context(const std::string& key = stack->key) {
    auto context = std::make_unique<grpc::ClientContext>();
    if (!key.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", key));
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return context;
  }

  static inference::ChatCompletionRequest ChatRequest(const std::string& model) {
    inference::ChatCompletionRequest request;
    request.set_model(model);
    inference::ChatMessage* message = request.add_messages();
    message->set_role("user");
    message->set_content("hello there world");
    return request;
  }

  // What the fake received, oldest first.
  static json::array FakeRequests() {
    auto response = HttpRequest(stack->fake->address(), "GET", "/_fake/requests", {}, "");
    EXPECT_TRUE(response.ok()) << response.status();
    if (!response.ok()) return {};
    return json::parse(response->body).as_object().at("requests").as_array();
  }

  static int64_t FakeStat(const std::string& name) {
    auto response = HttpRequest(stack->fake->address(), "GET", "/_fake/stats", {}, "");
    if (!response.ok()) return -1;
    return json::parse(response->body).as_object().at(name).to_number<int64_t>();
  }

  // The fake's behaviour for its next /v1 request only.
  static void NextFakeAnswer(const std::string& fields) {
    auto response = HttpRequest(stack->fake->address(), "POST", "/_fake/behaviour", {},
                                absl::StrCat(R"({"times":1,)", fields, "}"));
    ASSERT_TRUE(response.ok()) << response.status();
    ASSERT_EQ(response->status, 200) << response->body;
  }

  std::unique_ptr<inference::Inference::Stub> stub_;
};

std::string InitialMetadata(const grpc::ClientContext& context, const std::string& name) {
  const auto& metadata = context.GetServerInitialMetadata();
  const auto it = metadata.find(name);
  return it == metadata.end() ? "" : std::string(it->second.data(), it->second.size());
}

TEST_F(GrpcInferenceTest, UnaryChatReturnsTheProvidersCompletion) {
  inference::ChatCompletionRequest request = ChatRequest("chat");
  request.mutable_max_tokens()->set_value(40);
  request.mutable_temperature()->set_value(0.5);
  auto context = Context();
  context->AddMetadata("x-request-id", "grpc-req-1");
  inference::ChatCompletion completion;
  const grpc::Status status = stub_->CreateChatCompletion(context.get(), request, &completion);
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();

  EXPECT_EQ(completion.object(), "chat.completion");
  EXPECT_EQ(completion.model(), "fake-upstream-chat");
  EXPECT_THAT(completion.id(), ::testing::StartsWith("chatcmpl-"));
  ASSERT_EQ(completion.choices_size(), 1);
  EXPECT_EQ(completion.choices(0).message().role(), "assistant");
  EXPECT_EQ(completion.choices(0).message().content(), "hello there world");
  EXPECT_EQ(completion.choices(0).finish_reason(), "stop");
  EXPECT_EQ(completion.usage().prompt_tokens(), 3);
  EXPECT_EQ(completion.usage().completion_tokens(), 3);
  EXPECT_EQ(completion.usage().total_tokens(), 6);
  EXPECT_EQ(InitialMetadata(*context, "x-request-id"), "grpc-req-1");

  // The provider got an OpenAI request: its own model name, the fields, the request id, and its
  // own credential rather than the gateway key.
  const json::array requests = FakeRequests();
  ASSERT_EQ(requests.size(), 1u);
  const json::object sent = json::parse(requests[0].at("body").as_string()).as_object();
  EXPECT_EQ(sent.at("model").as_string(), "fake-upstream-chat");
  EXPECT_EQ(sent.at("max_tokens").to_number<int64_t>(), 40);
  EXPECT_EQ(sent.at("temperature").to_number<double>(), 0.5);
  EXPECT_EQ(sent.at("messages").at(0).at("content").as_string(), "hello there world");
  EXPECT_EQ(requests[0].at("headers").at("x-request-id").as_string(), "grpc-req-1");
  EXPECT_EQ(requests[0].at("headers").at("authorization").as_string(),
            absl::StrCat("Bearer ", kProviderSecret));
}

TEST_F(GrpcInferenceTest, KeyInXApiKeyMetadataIsAcceptedToo) {
  grpc::ClientContext context;
  context.AddMetadata("x-api-key", stack->key);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  inference::ChatCompletion completion;
  const grpc::Status status =
      stub_->CreateChatCompletion(&context, ChatRequest("chat"), &completion);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(InitialMetadata(context, "x-request-id").empty());
}

TEST_F(GrpcInferenceTest, StreamDeliversEveryChunkInOrderThenOk) {
  auto context = Context();
  std::unique_ptr<grpc::ClientReader<inference::ChatCompletionChunk>> reader =
      stub_->StreamChatCompletion(context.get(), ChatRequest("chat"));
  std::vector<inference::ChatCompletionChunk> chunks;
  inference::ChatCompletionChunk chunk;
  while (reader->Read(&chunk)) chunks.push_back(chunk);
  const grpc::Status status = reader->Finish();
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();

  // Role chunk, one chunk per word, the finish chunk, the usage chunk.
  ASSERT_GE(chunks.size(), 5u);
  EXPECT_EQ(chunks.front().choices(0).delta().role(), "assistant");
  std::string content;
  std::string finish_reason;
  for (const inference::ChatCompletionChunk& c : chunks) {
    EXPECT_EQ(c.object(), "chat.completion.chunk");
    for (const inference::ChunkChoice& choice : c.choices()) {
      content += choice.delta().content();
      if (!choice.finish_reason().empty()) finish_reason = choice.finish_reason();
    }
  }
  EXPECT_EQ(content, "hello there world");
  EXPECT_EQ(finish_reason, "stop");
  ASSERT_TRUE(chunks.back().has_usage());
  EXPECT_EQ(chunks.back().usage().prompt_tokens(), 3);
  EXPECT_EQ(chunks.back().usage().completion_tokens(), 3);
  EXPECT_FALSE(InitialMetadata(*context, "x-request-id").empty());
  EXPECT_EQ(FakeStat("streams_completed") >= 1, true);
}

TEST_F(GrpcInferenceTest, StreamThatBreaksMidwayEndsWithANonOkStatus) {
  NextFakeAnswer(R"("reset_after_chunks":3)");
  auto context = Context();
  auto reader = stub_->StreamChatCompletion(context.get(), ChatRequest("chat"));
  int received = 0;
  inference::ChatCompletionChunk chunk;
  while (reader->Read(&chunk)) ++received;
  const grpc::Status status = reader->Finish();
  EXPECT_GE(received, 1);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_FALSE(status.error_message().empty());
}

TEST_F(GrpcInferenceTest, ConcurrentUnaryAndStreamedCallsAllSucceed) {
  constexpr int kClients = 6;
  constexpr int kCallsPerClient = 10;
  std::vector<int> ok(kClients, 0);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([c, &ok] {
      auto stub = inference::Inference::NewStub(stack->channel);
      for (int i = 0; i < kCallsPerClient; ++i) {
        auto context = Context();
        if (c % 2 == 0) {
          inference::ChatCompletion completion;
          const grpc::Status status =
              stub->CreateChatCompletion(context.get(), ChatRequest("chat"), &completion);
          if (status.ok() && completion.choices_size() == 1 &&
              completion.choices(0).message().content() == "hello there world") {
            ++ok[c];
          }
          continue;
        }
        auto reader = stub->StreamChatCompletion(context.get(), ChatRequest("chat"));
        std::string content;
        inference::ChatCompletionChunk chunk;
        while (reader->Read(&chunk)) {
          for (const inference::ChunkChoice& choice : chunk.choices()) {
            content += choice.delta().content();
          }
        }
        if (reader->Finish().ok() && content == "hello there world") ++ok[c];
      }
    });
  }
  for (std::thread& client : clients) client.join();
  for (int c = 0; c < kClients; ++c) EXPECT_EQ(ok[c], kCallsPerClient) << "client " << c;
}

TEST_F(GrpcInferenceTest, EmbeddingsReturnTheProvidersVectors) {
  inference::EmbeddingRequest request;
  request.set_model("embed");
  request.add_input("one two");
  request.add_input("three");
  request.mutable_dimensions()->set_value(4);
  auto context = Context();
  inference::EmbeddingResponse response;
  const grpc::Status status = stub_->CreateEmbedding(context.get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  EXPECT_EQ(response.object(), "list");
  ASSERT_EQ(response.data_size(), 2);
  EXPECT_EQ(response.data(0).embedding_size(), 4);
  EXPECT_EQ(response.data(1).index(), 1);
  double norm = 0;
  for (float value : response.data(0).embedding()) norm += double{value} * value;
  EXPECT_NEAR(norm, 1.0, 1e-4);  // The fake's vectors are unit length.
  EXPECT_EQ(response.usage().prompt_tokens(), 3);
  const json::array requests = FakeRequests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].at("path").as_string(), "/v1/embeddings");
}

TEST_F(GrpcInferenceTest, ListModelsShowsOnlyTheKeysTeamModels) {
  auto context = Context();
  inference::ListModelsResponse response;
  const grpc::Status status =
      stub_->ListModels(context.get(), inference::ListModelsRequest(), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.object(), "list");
  std::set<std::string> ids;
  for (const inference::ModelInfo& model : response.data()) {
    EXPECT_EQ(model.object(), "model");
    ids.insert(model.id());
  }
  EXPECT_EQ(ids, (std::set<std::string>{"chat", "embed"}));
}

TEST_F(GrpcInferenceTest, MissingOrUnknownKeyIsUnauthenticated) {
  for (const std::string& key : {std::string(), std::string("sk-not-a-gateway-key")}) {
    auto context = Context(key);
    inference::ChatCompletion completion;
    const grpc::Status status =
        stub_->CreateChatCompletion(context.get(), ChatRequest("chat"), &completion);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
    EXPECT_FALSE(status.error_message().empty());
    EXPECT_THAT(status.error_message(), Not(HasSubstr("sk-not-a-gateway-key")));

    auto stream_context = Context(key);
    auto reader = stub_->StreamChatCompletion(stream_context.get(), ChatRequest("chat"));
    inference::ChatCompletionChunk chunk;
    EXPECT_FALSE(reader->Read(&chunk));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);

    auto models_context = Context(key);
    inference::ListModelsResponse models;
    EXPECT_EQ(stub_->ListModels(models_context.get(), inference::ListModelsRequest(), &models)
                  .error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  EXPECT_TRUE(FakeRequests().empty());
}

TEST_F(GrpcInferenceTest, UnknownModelIsNotFound) {
  auto context = Context();
  inference::ChatCompletion completion;
  const grpc::Status status =
      stub_->CreateChatCompletion(context.get(), ChatRequest("no-such-model"), &completion);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("no-such-model"));
}

TEST_F(GrpcInferenceTest, ModelTheTeamMayNotUseIsPermissionDenied) {
  auto context = Context();
  inference::ChatCompletion completion;
  const grpc::Status status =
      stub_->CreateChatCompletion(context.get(), ChatRequest("restricted"), &completion);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();

  auto stream_context = Context();
  auto reader = stub_->StreamChatCompletion(stream_context.get(), ChatRequest("restricted"));
  inference::ChatCompletionChunk chunk;
  EXPECT_FALSE(reader->Read(&chunk));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(FakeRequests().empty());
}

TEST_F(GrpcInferenceTest, ValuesJsonCannotCarryAreInvalidArgumentAfterTheKeyCheck) {
  inference::ChatCompletionRequest request = ChatRequest("chat");
  request.mutable_temperature()->set_value(std::numeric_limits<double>::quiet_NaN());
  auto anonymous = Context("");
  inference::ChatCompletion completion;
  EXPECT_EQ(stub_->CreateChatCompletion(anonymous.get(), request, &completion).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  auto context = Context();
  const grpc::Status status = stub_->CreateChatCompletion(context.get(), request, &completion);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("temperature"));

  auto stream_context = Context();
  auto reader = stub_->StreamChatCompletion(stream_context.get(), request);
  inference::ChatCompletionChunk chunk;
  EXPECT_FALSE(reader->Read(&chunk));
  const grpc::Status stream_status = reader->Finish();
  EXPECT_EQ(stream_status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(stream_status.error_message(), HasSubstr("temperature"));

  inference::EmbeddingRequest embedding;
  embedding.set_model("embed");
  embedding.add_input("one");
  embedding.set_encoding_format("base64");
  auto embedding_context = Context();
  inference::EmbeddingResponse vectors;
  const grpc::Status embedding_status =
      stub_->CreateEmbedding(embedding_context.get(), embedding, &vectors);
  EXPECT_EQ(embedding_status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(embedding_status.error_message(), HasSubstr("encoding_format"));
  EXPECT_TRUE(FakeRequests().empty());
}

TEST_F(GrpcInferenceTest, ProviderRateLimitIsResourceExhaustedWithRetryAfter) {
  NextFakeAnswer(R"("status":429,"retry_after_s":7)");
  auto context = Context();
  inference::ChatCompletion completion;
  const grpc::Status status =
      stub_->CreateChatCompletion(context.get(), ChatRequest("chat"), &completion);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  const auto& trailers = context->GetServerTrailingMetadata();
  const auto retry_after = trailers.find("retry-after");
  ASSERT_NE(retry_after, trailers.end());
  EXPECT_EQ(std::string(retry_after->second.data(), retry_after->second.size()), "7");
}

TEST_F(GrpcInferenceTest, ProviderBadRequestIsInvalidArgumentWithItsMessage) {
  NextFakeAnswer(R"("status":400,"error_message":"bad grpc request")");
  auto context = Context();
  inference::ChatCompletion completion;
  const grpc::Status status =
      stub_->CreateChatCompletion(context.get(), ChatRequest("chat"), &completion);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "bad grpc request");
}

TEST_F(GrpcInferenceTest, ClientThatCancelsMidStreamCancelsTheUpstreamCall) {
  const int64_t before = FakeStat("client_disconnects");
  ASSERT_GE(before, 0);
  // The next chunk would come after 3 s: only the cancel itself can end the call sooner.
  NextFakeAnswer(R"("completion_tokens":100,"chunk_interval_ms":3000)");
  auto context = Context();
  auto reader = stub_->StreamChatCompletion(context.get(), ChatRequest("chat"));
  inference::ChatCompletionChunk chunk;
  ASSERT_TRUE(reader->Read(&chunk));  // The stream is flowing (the role chunk).
  const absl::Time cancelled = absl::Now();
  context->TryCancel();
  ASSERT_TRUE(PollUntil([&] { return FakeStat("client_disconnects") > before; }, absl::Seconds(10)))
      << "the fake never saw the upstream connection go away";
  EXPECT_LT(absl::Now() - cancelled, absl::Milliseconds(2000));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(GrpcInferenceTest, ClientThatCancelsBeforeTheFirstChunkCancelsTheUpstreamCall) {
  const int64_t before = FakeStat("client_disconnects");
  ASSERT_GE(before, 0);
  // The fake would answer after 5 s (and the worker waits up to its default first-byte timeout).
  NextFakeAnswer(R"("first_byte_delay_ms":5000)");
  auto context = Context();
  auto reader = stub_->StreamChatCompletion(context.get(), ChatRequest("chat"));
  ASSERT_TRUE(PollUntil([&] { return FakeRequests().size() == 1; }, absl::Seconds(10)));
  const absl::Time cancelled = absl::Now();
  context->TryCancel();
  ASSERT_TRUE(PollUntil([&] { return FakeStat("client_disconnects") > before; }, absl::Seconds(10)))
      << "the fake never saw the upstream connection go away";
  EXPECT_LT(absl::Now() - cancelled, absl::Milliseconds(2000));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(GrpcInferenceTest, ClientThatCancelsAUnaryCallCancelsTheUpstreamCall) {
  const int64_t before = FakeStat("client_disconnects");
  ASSERT_GE(before, 0);
  NextFakeAnswer(R"("first_byte_delay_ms":5000)");
  auto context = Context();
  grpc::Status status;
  std::thread caller([&] {
    inference::ChatCompletion completion;
    status = stub_->CreateChatCompletion(context.get(), ChatRequest("chat"), &completion);
  });
  const bool provider_has_it =
      PollUntil([&] { return FakeRequests().size() == 1; }, absl::Seconds(10));
  const absl::Time cancelled = absl::Now();
  context->TryCancel();
  caller.join();  // Before any assertion can return: the thread uses this frame.
  ASSERT_TRUE(provider_has_it);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(PollUntil([&] { return FakeStat("client_disconnects") > before; }, absl::Seconds(10)))
      << "the fake never saw the upstream connection go away";
  EXPECT_LT(absl::Now() - cancelled, absl::Milliseconds(2000));
}

// A worker of its own, ready to serve, for tests that stop it or need other flags than the
// suite's worker.
struct OwnWorker {
  std::optional<Process> process;
  std::string grpc_address;
};

void StartOwnWorker(const std::string& name, std::vector<std::string> extra_flags,
                    OwnWorker& worker) {
  auto started = StartDataPlane({.control_plane_address = stack->cp.address(),
                                 .state_dir = stack->dir.path() + "/" + name,
                                 .worker_token_file = stack->dir.path() + "/worker-token",
                                 .threads = 0,
                                 .extra_flags = std::move(extra_flags),
                                 .env = {{kProviderEnv, kProviderSecret}}});
  ASSERT_TRUE(started.ok()) << started.status();
  worker.process.emplace(*std::move(started));
  auto addresses = WaitForDataPlaneListen(*worker.process, absl::Seconds(20));
  ASSERT_TRUE(addresses.ok()) << addresses.status();
  worker.grpc_address = addresses->grpc;
  ASSERT_TRUE(PollUntil(
      [&] {
        auto ready = HttpRequest(addresses->http, "GET", "/readyz", {}, "");
        return ready.ok() && ready->status == 200;
      },
      absl::Seconds(20)))
      << worker.process->LogTail();
}

TEST_F(GrpcInferenceTest, MessagesOverTheBodyLimitAreRefused) {
  OwnWorker worker;
  ASSERT_NO_FATAL_FAILURE(StartOwnWorker("small-bodies", {"--max-body-bytes", "2048"}, worker));
  auto stub = inference::Inference::NewStub(
      grpc::CreateChannel(worker.grpc_address, grpc::InsecureChannelCredentials()));

  // Over the limit as a message: gRPC itself refuses it.
  inference::ChatCompletionRequest large = ChatRequest("chat");
  large.mutable_messages(0)->set_content(std::string(4000, 'x'));
  auto context = Context();
  inference::ChatCompletion completion;
  EXPECT_EQ(stub->CreateChatCompletion(context.get(), large, &completion).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);

  // Under the limit as a message, over it as the JSON body: the pipeline's 413.
  inference::ChatCompletionRequest borderline = ChatRequest("chat");
  borderline.mutable_messages(0)->set_content(std::string(2000, 'x'));
  ASSERT_LT(borderline.ByteSizeLong(), 2048u);
  auto borderline_context = Context();
  const grpc::Status status =
      stub->CreateChatCompletion(borderline_context.get(), borderline, &completion);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_TRUE(FakeRequests().empty());
}

TEST_F(GrpcInferenceTest, SigtermLetsAStreamInFlightFinishThenExitsZero) {
  OwnWorker own;
  ASSERT_NO_FATAL_FAILURE(StartOwnWorker("draining-worker", {}, own));
  Process& worker = *own.process;

  // Five content chunks 300 ms apart: the stream outlives the signal by more than a second.
  NextFakeAnswer(R"("completion_tokens":5,"chunk_interval_ms":300)");
  auto stub = inference::Inference::NewStub(
      grpc::CreateChannel(own.grpc_address, grpc::InsecureChannelCredentials()));
  auto context = Context();
  auto reader = stub->StreamChatCompletion(context.get(), ChatRequest("chat"));
  inference::ChatCompletionChunk chunk;
  ASSERT_TRUE(reader->Read(&chunk));
  ASSERT_TRUE(worker.Signal(SIGTERM).ok());
  std::string content;
  while (reader->Read(&chunk)) {
    for (const inference::ChunkChoice& choice : chunk.choices())
      content += choice.delta().content();
  }
  const grpc::Status status = reader->Finish();
  EXPECT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  EXPECT_EQ(content, "lorem ipsum dolor sit amet");
  absl::StatusOr<int> exit_code = worker.Wait(absl::Seconds(30));
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 0) << worker.LogTail();
}

// Sends one ServerReflectionRequest (raw protobuf bytes) and returns the raw response bytes.
std::string AskReflection(const std::string& request_bytes) {
  grpc::GenericStub stub(stack->channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  grpc::CompletionQueue queue;
  auto call = stub.PrepareCall(
      &context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &queue);
  grpc::Slice slice(request_bytes.data(), request_bytes.size());
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  void* tag = nullptr;
  bool ok = false;
  int step = 0;
  call->StartCall(&step);
  if (!queue.Next(&tag, &ok) || !ok) return "";
  call->Write(request, &step);
  if (!queue.Next(&tag, &ok) || !ok) return "";
  call->Read(&response, &step);
  if (!queue.Next(&tag, &ok) || !ok) return "";
  call->WritesDone(&step);
  queue.Next(&tag, &ok);
  grpc::Status status;
  call->Finish(&status, &step);
  queue.Next(&tag, &ok);
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return "";
  std::string bytes;
  for (const grpc::Slice& part : slices) {
    bytes.append(reinterpret_cast<const char*>(part.begin()), part.size());
  }
  return bytes;
}

TEST_F(GrpcInferenceTest, ServerReflectionListsAndDescribesTheInferenceService) {
  // ServerReflectionRequest{list_services: ""}: field 7, length-delimited, empty.
  EXPECT_THAT(AskReflection(std::string("\x3a\x00", 2)),
              HasSubstr("gateway.inference.v1.Inference"));
  // ServerReflectionRequest{file_containing_symbol: "gateway.inference.v1.Inference"}: field 4.
  const std::string symbol = "gateway.inference.v1.Inference";
  const std::string request =
      absl::StrCat("\x22", std::string(1, static_cast<char>(symbol.size())), symbol);
  const std::string described = AskReflection(request);
  EXPECT_THAT(described, HasSubstr("gateway/inference/v1/inference.proto"));
  EXPECT_THAT(described, HasSubstr("StreamChatCompletion"));
}

}  // namespace
}  // namespace gw::testing
