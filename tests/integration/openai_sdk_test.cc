// The official `openai` npm package against a real worker: the real control plane configures a
// gw-data-plane worker in front of gw-fake-provider, `npm ci` installs the pinned SDK from
// tests/integration/openai_sdk/ into a temporary copy (never into the source tree), and
// sdk_check.mjs makes a plain, a streamed and an embeddings call and one with a refused key.
// Needs node and npm (Debian packages nodejs and npm) and the npm registry or a warm npm cache:
// without them the test fails, saying so.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"
#include "tests/fakes/testing/fake_provider_process.h"
#include "tests/integration/harness/http_client.h"
#include "tests/integration/harness/poll.h"
#include "tests/integration/harness/stack.h"

namespace gw::testing {
namespace {

namespace json = boost::json;

constexpr char kProviderSecret[] = "sk-sdk-provider-secret-0123456789";
constexpr char kProviderEnv[] = "GW_SDK_TEST_PROVIDER_KEY";
// The fake echoes the last user message: the answer is the prompt, one token per word.
constexpr char kPrompt[] = "hello from the official sdk";
constexpr int64_t kPromptWords = 5;

void MustRun(const Gwctl& gwctl, const std::vector<std::string>& args) {
  CommandResult result = gwctl.Run(args);
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
}

// What a failed command printed, for failure messages.
std::string Output(const absl::StatusOr<CommandResult>& result) {
  if (!result.ok()) return result.status().ToString();
  return absl::StrCat("exit code ", result->exit_code, "\nstdout:\n", result->stdout_text,
                      "\nstderr:\n", result->stderr_text);
}

class OpenAiSdkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(cp_.Start().ok()) << cp_.Log();
    auto fake =
        FakeProviderProcess::Start(GW_BIN_DIR "/gw-fake-provider", {"--api-key-env", kProviderEnv},
                                   {{kProviderEnv, kProviderSecret}});
    ASSERT_TRUE(fake.ok()) << fake.status();
    fake_ = *std::move(fake);

    const Gwctl gwctl(cp_);
    MustRun(gwctl, {"provider", "create", "fake", "--type", "openai-compatible", "--base-url",
                    fake_->base_url(), "--api-key-ref", absl::StrCat("env:", kProviderEnv)});
    MustRun(gwctl, {"model", "create", "sdk-chat", "--provider", "fake", "--upstream-model",
                    "fake-upstream-chat"});
    MustRun(gwctl, {"model", "create", "sdk-embed", "--provider", "fake"});
    MustRun(gwctl, {"team", "create", "sdk"});
    auto key = gwctl.Json({"key", "create", "--team", "sdk"});
    ASSERT_TRUE(key.ok()) << key.status();
    key_ = std::string(key->as_object().at("key").as_string());
    auto version = gwctl.Version();
    ASSERT_TRUE(version.ok()) << version.status();

    const std::string token_file = dir_.Path("worker-token");
    ASSERT_TRUE(WriteFile(token_file, kWorkerToken).ok());
    auto worker = Process::Start(
        {BinaryPath("gw-data-plane"), "--control-plane", cp_.address(), "--http-listen",
         "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0", "--state-dir", dir_.Path("worker"),
         "--worker-token-file", token_file, "--threads", "1"},
        {{kProviderEnv, kProviderSecret}});
    ASSERT_TRUE(worker.ok()) << worker.status();
    worker_.emplace(*std::move(worker));
    auto address = worker_->WaitForListen("http", absl::Seconds(20));
    ASSERT_TRUE(address.ok()) << address.status();
    worker_address_ = *address;
    ASSERT_TRUE(PollUntil(
        [&] {
          auto ready = HttpRequest(worker_address_, "GET", "/readyz", {}, "");
          return ready.ok() && ready->status == 200 &&
                 json::parse(ready->body).as_object().at("config_version").to_number<int64_t>() ==
                     *version;
        },
        absl::Seconds(20)))
        << worker_->LogTail();
  }

  void TearDown() override {
    if (HasFailure() && worker_) std::cerr << worker_->LogTail() << "\n";
  }

  // Copies the SDK project to a temporary directory and installs its pinned packages there.
  void InstallSdk() {
    const absl::StatusOr<CommandResult> versions =
        RunCommand({"bash", "-c", "node --version && npm --version"}, absl::Seconds(30));
    ASSERT_TRUE(versions.ok() && versions->exit_code == 0)
        << "this test needs node and npm (Debian packages nodejs and npm, listed in "
           "scripts/lib/deps.sh): "
        << Output(versions);

    namespace fs = std::filesystem;
    const fs::path source = GW_SOURCE_DIR "/tests/integration/openai_sdk";
    sdk_dir_ = dir_.Path("openai_sdk");
    fs::create_directories(sdk_dir_);
    for (const char* name : {"package.json", "package-lock.json", "sdk_check.mjs"}) {
      std::error_code error;
      fs::copy_file(source / name, fs::path(sdk_dir_) / name, error);
      ASSERT_FALSE(error) << "cannot copy " << (source / name) << ": " << error.message();
    }
    // --prefer-offline: a warm npm cache needs no network; a cold one needs the registry.
    const absl::StatusOr<CommandResult> installed =
        RunCommand({"bash", "-c", "cd \"$1\" && exec npm ci --no-audit --no-fund --prefer-offline",
                    "npm-ci", sdk_dir_},
                   absl::Minutes(5));
    ASSERT_TRUE(installed.ok() && installed->exit_code == 0)
        << "npm ci could not install the pinned openai package (is the npm registry reachable, "
           "or the npm cache warm?): "
        << Output(installed);
  }

  json::array FakeRequests() const {
    auto response = HttpRequest(fake_->address(), "GET", "/_fake/requests", {}, "");
    EXPECT_TRUE(response.ok()) << response.status();
    if (!response.ok()) return {};
    return json::parse(response->body).as_object().at("requests").as_array();
  }

  TempDir dir_ = TempDir::Create("gw-openai-sdk").value();
  ControlPlaneProcess cp_{dir_};
  std::unique_ptr<FakeProviderProcess> fake_;
  std::optional<Process> worker_;
  std::string worker_address_;
  std::string key_;
  std::string sdk_dir_;
};

TEST_F(OpenAiSdkTest, OfficialClientGetsPlainAndStreamedCompletions) {
  ASSERT_NO_FATAL_FAILURE(InstallSdk());
  const absl::StatusOr<CommandResult> run =
      RunCommand({"node", sdk_dir_ + "/sdk_check.mjs"}, absl::Minutes(2),
                 {{"GW_BASE_URL", absl::StrCat("http://", worker_address_, "/v1")},
                  {"GW_API_KEY", key_},
                  {"GW_MODEL", "sdk-chat"},
                  {"GW_EMBEDDING_MODEL", "sdk-embed"},
                  {"GW_PROMPT", kPrompt},
                  {"GW_EXPECT_CONTENT", kPrompt}});
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->exit_code, 0) << Output(run);
  boost::system::error_code ec;
  const json::value result = json::parse(run->stdout_text, ec);
  ASSERT_FALSE(ec) << Output(run);
  EXPECT_TRUE(result.at("failures").as_array().empty()) << run->stdout_text;

  // The plain completion as the SDK parsed it: the fake's answer and its usage.
  const json::object& chat = result.at("chat").as_object();
  EXPECT_EQ(chat.at("content").as_string(), kPrompt);
  EXPECT_EQ(chat.at("model").as_string(), "fake-upstream-chat");
  EXPECT_EQ(chat.at("finish_reason").as_string(), "stop");
  EXPECT_EQ(chat.at("usage").at("prompt_tokens").to_number<int64_t>(), kPromptWords);
  EXPECT_EQ(chat.at("usage").at("completion_tokens").to_number<int64_t>(), kPromptWords);
  EXPECT_EQ(chat.at("usage").at("total_tokens").to_number<int64_t>(), 2 * kPromptWords);

  // The stream: one content chunk per word, concatenating to the same answer; the usage chunk
  // the gateway asks for upstream stays hidden unless the client asked for it.
  const json::object& stream = result.at("stream").as_object();
  EXPECT_EQ(stream.at("content_chunks").to_number<int64_t>(), kPromptWords);
  EXPECT_GT(stream.at("chunks").to_number<int64_t>(), kPromptWords);  // Role and finish too.
  EXPECT_EQ(stream.at("content").as_string(), kPrompt);
  EXPECT_TRUE(stream.at("usage").is_null());
  const json::object& with_usage = result.at("stream_with_usage").as_object();
  EXPECT_EQ(with_usage.at("content").as_string(), kPrompt);
  EXPECT_EQ(with_usage.at("usage").at("completion_tokens").to_number<int64_t>(), kPromptWords);

  // Base64 embeddings (the SDK's default) decoded by the SDK.
  EXPECT_EQ(result.at("embeddings").at("count").to_number<int64_t>(), 2);
  EXPECT_GT(result.at("embeddings").at("dimensions").to_number<int64_t>(), 0);
  EXPECT_EQ(result.at("embeddings").at("usage").at("prompt_tokens").to_number<int64_t>(), 3);

  // The gateway's 401 became the SDK's typed error with the contract's type and code.
  const json::object& refused = result.at("refused").as_object();
  EXPECT_EQ(refused.at("status").to_number<int64_t>(), 401);
  EXPECT_EQ(refused.at("type").as_string(), "authentication_error");
  EXPECT_EQ(refused.at("code").as_string(), "invalid_api_key");

  // Three chat calls and one embeddings call reached the provider; the refused one did not.
  const json::array requests = FakeRequests();
  int chats = 0;
  int embeddings = 0;
  for (const json::value& request : requests) {
    const json::string& path = request.at("path").as_string();
    if (path == "/v1/chat/completions") ++chats;
    if (path == "/v1/embeddings") ++embeddings;
  }
  EXPECT_EQ(chats, 3);
  EXPECT_EQ(embeddings, 1);
}

}  // namespace
}  // namespace gw::testing
