// The worker's access log (docs/access-log.md) on the real binaries: a worker with --access-log
// serving from gw-fake-provider writes one JSON line per /v1 request whose request id, status and
// tokens match what the client got, and never the prompt or the completion; SIGHUP after a rename
// makes it write to a new file at the path (logrotate); SIGTERM leaves every line in the file;
// and a path it cannot open stops the start with exit code 1.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"
#include "tests/fakes/testing/fake_provider_process.h"
#include "tests/fakes/testing/test_http_connection.h"
#include "tests/integration/harness/poll.h"
#include "tests/integration/harness/stack.h"

namespace gw::testing {
namespace {

namespace json = boost::json;

constexpr char kProviderEnv[] = "GW_ACCESS_LOG_TEST_PROVIDER_KEY";
constexpr char kProviderSecret[] = "sk-access-log-test-provider-0123";
// In every prompt (and so, echoed by the fake, in every completion): must never reach the log.
constexpr char kMarker[] = "quokkamarker4711";

struct Stack {
  TempDir dir = TempDir::Create("gw-access-log").value();
  ControlPlaneProcess cp{dir};
  std::unique_ptr<FakeProviderProcess> fake;
  std::string token_file;
  std::string key;
  std::string access_log;
  std::optional<Process> worker;
  std::string worker_address;
};
Stack* stack = nullptr;

absl::StatusOr<Process> StartWorker(const std::string& state_dir, const std::string& access_log) {
  return StartDataPlane({.control_plane_address = stack->cp.address(),
                         .state_dir = state_dir,
                         .worker_token_file = stack->token_file,
                         .threads = 1,
                         .extra_flags = {"--access-log", access_log},
                         .env = {{kProviderEnv, kProviderSecret}}});
}

// The file's complete lines, each parsed (a line that is not a JSON object fails the test).
std::vector<json::object> LogLines(const std::string& path) {
  std::vector<json::object> lines;
  const std::string contents = ReadFile(path).value_or("");
  for (absl::string_view line : absl::StrSplit(contents, '\n', absl::SkipEmpty())) {
    boost::system::error_code error;
    json::value parsed = json::parse(std::string(line.data(), line.size()), error);
    EXPECT_FALSE(error) << "not JSON: " << line;
    if (!error && parsed.is_object()) lines.push_back(parsed.as_object());
  }
  return lines;
}

const json::object* LineOf(const std::vector<json::object>& lines, const std::string& request_id) {
  for (const json::object& line : lines) {
    if (line.at("request_id").as_string() == request_id) return &line;
  }
  return nullptr;
}

int64_t Int(const json::object& object, const char* name) {
  return object.at(name).to_number<int64_t>();
}

std::map<std::string, std::string> Headers(const std::string& key) {
  return {{"authorization", absl::StrCat("Bearer ", key)}, {"content-type", "application/json"}};
}

std::string ChatBody(bool stream) {
  return absl::StrCat(R"({"model":"priced","messages":[{"role":"user","content":"say )", kMarker,
                      R"( back to me"}],"stream":)",
                      stream ? R"(true,"stream_options":{"include_usage":true})" : "false",
                      R"(,"x_fake":{"cached_tokens":2}})");
}

// A chat call the worker must answer 200; returns the response.
TestResponse MustChat(bool stream) {
  auto response = TestHttpCall(stack->worker_address, "POST", "/v1/chat/completions",
                               ChatBody(stream), Headers(stack->key));
  EXPECT_TRUE(response.ok()) << response.status();
  if (!response.ok()) return {};
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_TRUE(response->headers.contains("x-request-id"));
  return *std::move(response);
}

class AccessLogTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack = new Stack();
    ASSERT_TRUE(stack->cp.Start().ok()) << stack->cp.Log();
    auto fake = FakeProviderProcess::Start(GW_BIN_DIR "/gw-fake-provider", {});
    ASSERT_TRUE(fake.ok()) << fake.status();
    stack->fake = *std::move(fake);

    const Gwctl gwctl(stack->cp);
    gwctl.MustRun({"provider", "create", "fake", "--type", "openai-compatible", "--base-url",
                   stack->fake->base_url(), "--api-key-ref", absl::StrCat("env:", kProviderEnv)});
    gwctl.MustRun(
        {"model", "create", "priced", "--provider", "fake", "--upstream-model", "fake-upstream"});
    gwctl.MustRun({"pricing", "set", "priced", "--input", "2.50", "--output", "10.00"});
    gwctl.MustRun({"team", "create", "logged", "--allowed-models", "priced"});
    auto key = gwctl.CreateKey("logged");
    ASSERT_TRUE(key.ok()) << key.status();
    stack->key = *key;
    auto version = gwctl.Version();
    ASSERT_TRUE(version.ok()) << version.status();

    stack->token_file = stack->dir.path() + "/worker-token";
    std::ofstream(stack->token_file) << kWorkerToken;
    stack->access_log = stack->dir.path() + "/access.log";
    auto worker = StartWorker(stack->dir.path() + "/worker", stack->access_log);
    ASSERT_TRUE(worker.ok()) << worker.status();
    stack->worker.emplace(*std::move(worker));
    auto addresses = WaitForDataPlaneListen(*stack->worker, absl::Seconds(20));
    ASSERT_TRUE(addresses.ok()) << addresses.status();
    stack->worker_address = addresses->http;
    const absl::Status ready = WaitUntilReadyAt(stack->worker_address, *version, absl::Seconds(20));
    ASSERT_TRUE(ready.ok()) << ready << stack->worker->LogTail();
  }

  static void TearDownTestSuite() {
    const absl::Status stopped = StopCleanly(stack->worker, absl::Seconds(30));
    EXPECT_TRUE(stopped.ok()) << stopped;
    delete stack;
    stack = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(stack, nullptr);
    ASSERT_FALSE(stack->worker_address.empty());
  }

  void TearDown() override {
    if (HasFailure() && stack->worker) std::cerr << stack->worker->LogTail() << "\n";
  }
};

TEST_F(AccessLogTest, OneLinePerRequestMatchingWhatTheClientGot) {
  const TestResponse buffered = MustChat(/*stream=*/false);
  ASSERT_FALSE(HasFailure());
  const TestResponse streamed = MustChat(/*stream=*/true);
  ASSERT_FALSE(HasFailure());
  auto refused = TestHttpCall(stack->worker_address, "POST", "/v1/chat/completions",
                              ChatBody(false), Headers("gwk-not-a-key"));
  ASSERT_TRUE(refused.ok()) << refused.status();
  ASSERT_EQ(refused->status, 401);
  // The fake echoes the prompt: the marker reached the client, so the test would see a leak.
  ASSERT_NE(buffered.body.find(kMarker), std::string::npos) << buffered.body;

  // The usage each response reported (the streamed one in its final usage chunk).
  const json::object buffered_usage =
      json::parse(buffered.body).as_object().at("usage").as_object();
  json::object streamed_usage;
  for (const std::string& data : SseData(streamed.body)) {
    if (data == "[DONE]") continue;
    const json::object chunk = json::parse(data).as_object();
    if (chunk.contains("usage") && chunk.at("usage").is_object()) {
      streamed_usage = chunk.at("usage").as_object();
    }
  }
  ASSERT_FALSE(streamed_usage.empty()) << streamed.body;

  const std::vector<std::string> request_ids = {buffered.headers.at("x-request-id"),
                                                streamed.headers.at("x-request-id"),
                                                refused->headers.at("x-request-id")};
  std::vector<json::object> lines;
  ASSERT_TRUE(PollUntil(
      [&] {
        lines = LogLines(stack->access_log);
        for (const std::string& request_id : request_ids) {
          if (LineOf(lines, request_id) == nullptr) return false;
        }
        return true;
      },
      absl::Seconds(10)))
      << ReadFile(stack->access_log).value_or("");
  // One line per request.
  for (const std::string& request_id : request_ids) {
    EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                            [&](const json::object& line) {
                              return line.at("request_id").as_string() == request_id;
                            }),
              1)
        << request_id;
  }

  struct Expected {
    const TestResponse* response;
    const json::object* usage;
    bool streamed;
  };
  for (const Expected& expected :
       {Expected{&buffered, &buffered_usage, false}, Expected{&streamed, &streamed_usage, true}}) {
    const std::string request_id = expected.response->headers.at("x-request-id");
    const json::object* line = LineOf(lines, request_id);
    ASSERT_NE(line, nullptr) << request_id << " not in "
                             << ReadFile(stack->access_log).value_or("");
    EXPECT_EQ(Int(*line, "status"), 200);
    EXPECT_EQ(Int(*line, "input_tokens"), Int(*expected.usage, "prompt_tokens"));
    EXPECT_EQ(Int(*line, "cached_input_tokens"),
              Int(expected.usage->at("prompt_tokens_details").as_object(), "cached_tokens"));
    EXPECT_EQ(Int(*line, "output_tokens"), Int(*expected.usage, "completion_tokens"));
    EXPECT_GT(Int(*line, "output_tokens"), 0);
    EXPECT_EQ(Int(*line, "cached_input_tokens"), 2);
    EXPECT_GT(Int(*line, "cost_pico_usd"), 0);
    EXPECT_EQ(line->at("streamed").as_bool(), expected.streamed);
    EXPECT_FALSE(line->at("estimated").as_bool());
    EXPECT_EQ(line->at("team").as_string(), "logged");
    EXPECT_EQ(line->at("model").as_string(), "priced");
    EXPECT_EQ(line->at("provider").as_string(), "fake");
    EXPECT_EQ(line->at("upstream_model").as_string(), "fake-upstream");
    EXPECT_EQ(line->at("error_code").as_string(), "");
    EXPECT_GE(Int(*line, "latency_us"), Int(*line, "ttfb_us"));
    EXPECT_FALSE(line->at("record_id").as_string().empty());
    EXPECT_FALSE(line->at("worker").as_string().empty());
  }
  const json::object* refused_line = LineOf(lines, refused->headers.at("x-request-id"));
  ASSERT_NE(refused_line, nullptr) << ReadFile(stack->access_log).value_or("");
  EXPECT_EQ(Int(*refused_line, "status"), 401);
  EXPECT_EQ(refused_line->at("error_code").as_string(), "invalid_api_key");
  EXPECT_EQ(refused_line->at("team").as_string(), "");
  EXPECT_EQ(refused_line->at("key_id").as_string(), "");
  EXPECT_EQ(Int(*refused_line, "input_tokens"), 0);

  // Neither the prompt nor the completion, anywhere.
  EXPECT_EQ(ReadFile(stack->access_log).value_or("").find(kMarker), std::string::npos);
}

TEST_F(AccessLogTest, SighupAfterRenameWritesToANewFile) {
  // Whatever earlier requests left, written out first so the rotated file's count is known.
  const TestResponse before = MustChat(/*stream=*/false);
  ASSERT_FALSE(HasFailure());
  ASSERT_TRUE(PollUntil(
      [&] {
        return LineOf(LogLines(stack->access_log), before.headers.at("x-request-id")) != nullptr;
      },
      absl::Seconds(10)));
  const size_t lines_before = LogLines(stack->access_log).size();

  const std::string rotated = stack->access_log + ".1";
  ASSERT_EQ(std::rename(stack->access_log.c_str(), rotated.c_str()), 0);
  ASSERT_TRUE(stack->worker->Signal(SIGHUP).ok());
  ASSERT_TRUE(PollUntil(
      [&] { return stack->worker->Log().find("reopened the access log") != std::string::npos; },
      absl::Seconds(10)))
      << stack->worker->LogTail();

  const TestResponse after = MustChat(/*stream=*/false);
  ASSERT_FALSE(HasFailure());
  ASSERT_TRUE(PollUntil([&] { return !LogLines(stack->access_log).empty(); }, absl::Seconds(10)))
      << stack->worker->LogTail();
  const std::vector<json::object> new_lines = LogLines(stack->access_log);
  ASSERT_EQ(new_lines.size(), 1u);
  EXPECT_EQ(new_lines[0].at("request_id").as_string(), after.headers.at("x-request-id"));
  // The rotated file kept its lines and got none of the new ones; the worker still serves.
  EXPECT_EQ(LogLines(rotated).size(), lines_before);
  EXPECT_TRUE(stack->worker->Running());
}

TEST_F(AccessLogTest, SigtermLeavesEveryLineInTheFile) {
  const std::string access_log = stack->dir.path() + "/sigterm-access.log";
  auto worker = StartWorker(stack->dir.path() + "/sigterm-worker", access_log);
  ASSERT_TRUE(worker.ok()) << worker.status();
  std::optional<Process> process(*std::move(worker));
  auto addresses = WaitForDataPlaneListen(*process, absl::Seconds(20));
  ASSERT_TRUE(addresses.ok()) << addresses.status();
  auto version = Gwctl(stack->cp).Version();
  ASSERT_TRUE(version.ok()) << version.status();
  ASSERT_TRUE(WaitUntilReadyAt(addresses->http, *version, absl::Seconds(20)).ok());

  std::vector<std::string> request_ids;
  for (int i = 0; i < 5; ++i) {
    auto response = TestHttpCall(addresses->http, "POST", "/v1/chat/completions", ChatBody(false),
                                 Headers(stack->key));
    ASSERT_TRUE(response.ok()) << response.status();
    ASSERT_EQ(response->status, 200) << response->body;
    request_ids.push_back(response->headers.at("x-request-id"));
  }
  const absl::Status stopped = StopCleanly(process);
  ASSERT_TRUE(stopped.ok()) << stopped;
  // No polling: the worker has exited, so whatever it wrote is all there is.
  const std::vector<json::object> lines = LogLines(access_log);
  ASSERT_EQ(lines.size(), request_ids.size()) << ReadFile(access_log).value_or("");
  for (const std::string& request_id : request_ids) {
    EXPECT_NE(LineOf(lines, request_id), nullptr) << request_id;
  }
}

TEST_F(AccessLogTest, AnUnopenablePathStopsTheStart) {
  auto worker = StartWorker(stack->dir.path() + "/refused-worker",
                            stack->dir.path() + "/no-such-directory/access.log");
  ASSERT_TRUE(worker.ok()) << worker.status();
  auto exit_code = worker->Wait(absl::Seconds(20));
  ASSERT_TRUE(exit_code.ok()) << exit_code.status() << worker->LogTail();
  EXPECT_EQ(*exit_code, 1) << worker->Log();
  EXPECT_NE(worker->Log().find("--access-log"), std::string::npos) << worker->Log();
  EXPECT_NE(worker->Log().find("no-such-directory/access.log"), std::string::npos) << worker->Log();
}

}  // namespace
}  // namespace gw::testing
