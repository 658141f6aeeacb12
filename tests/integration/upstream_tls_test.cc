// HTTPS providers end to end: the real control plane configures real gw-data-plane workers that
// call gw-fake-provider over TLS with certificates from a throwaway test CA made at test time.
// A worker trusting that CA (--upstream-ca-file) serves a provider whose certificate names the
// host of its base URL; a certificate for another name, or a worker without the CA, gets 502.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/json.hpp"
#include "common/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/testing/fake_provider_process.h"
#include "tests/fakes/testing/test_http_connection.h"
#include "tests/integration/harness/http_client.h"
#include "tests/integration/harness/poll.h"
#include "tests/integration/harness/stack.h"

namespace gw::testing {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kProviderSecret[] = "sk-tls-provider-secret-0123456789";
constexpr char kProviderEnv[] = "GW_TLS_TEST_PROVIDER_KEY";

// A fake serving HTTPS, and how a test client verifies it to read its /_fake endpoints.
struct TlsFake {
  std::unique_ptr<FakeProviderProcess> process;
  TestTlsOptions verify;
};

struct Stack {
  TempDir dir = TempDir::Create("gw-upstream-tls").value();
  ControlPlaneProcess cp{dir};
  TlsFake trusted;     // server.pem: valid for localhost, 127.0.0.1 and ::1.
  TlsFake wrong_name;  // wrong-host.pem: valid only for wrong-host.invalid.
  std::optional<Process> worker_with_ca;
  std::optional<Process> worker_without_ca;
  std::string with_ca_address;
  std::string without_ca_address;
  std::string key;
};
Stack* stack = nullptr;

std::string CertPath(const std::string& name) { return stack->dir.Path("certs/" + name); }

absl::StatusOr<TlsFake> StartTlsFake(const std::string& cert, const std::string& verify_host) {
  GW_ASSIGN_OR_RETURN(
      std::unique_ptr<FakeProviderProcess> fake,
      FakeProviderProcess::Start(GW_BIN_DIR "/gw-fake-provider",
                                 {"--tls-cert", CertPath(cert + ".pem"), "--tls-key",
                                  CertPath(cert + ".key"), "--api-key-env", kProviderEnv},
                                 {{kProviderEnv, kProviderSecret}}));
  return TlsFake{std::move(fake), TestTlsOptions{CertPath("ca.pem"), verify_host}};
}

// A worker on this suite's control plane; `extra_flags` go after the common ones.
absl::StatusOr<Process> StartWorker(const std::string& name,
                                    const std::vector<std::string>& extra_flags) {
  const std::string token_file = stack->dir.Path(name + "-token");
  GW_RETURN_IF_ERROR(WriteFile(token_file, kWorkerToken));
  std::vector<std::string> flags = {"--upstream-connect-timeout-ms", "5000"};
  flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
  return StartDataPlane({.control_plane_address = stack->cp.address(),
                         .state_dir = stack->dir.Path(name),
                         .worker_token_file = token_file,
                         .threads = 1,
                         .extra_flags = std::move(flags),
                         .env = {{kProviderEnv, kProviderSecret}}});
}

// Waits until the worker listens and serves config `version`; its HTTP address.
absl::StatusOr<std::string> WaitUntilReady(Process& worker, int64_t version) {
  GW_ASSIGN_OR_RETURN(std::string address, worker.WaitForListen("http", absl::Seconds(20)));
  if (!WaitUntilReadyAt(address, version, absl::Seconds(20)).ok()) {
    return absl::DeadlineExceededError("worker never became ready: " + worker.LogTail());
  }
  return address;
}

class UpstreamTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack = new Stack();
    // Fresh test-only certificates, the same script the fake's own TLS tests use.
    absl::StatusOr<CommandResult> certs = RunCommand(
        {"bash", GW_SOURCE_DIR "/tests/fakes/make_test_certs.sh", CertPath("")}, absl::Seconds(60));
    ASSERT_TRUE(certs.ok()) << certs.status();
    ASSERT_EQ(certs->exit_code, 0) << certs->stderr_text;

    ASSERT_TRUE(stack->cp.Start().ok()) << stack->cp.Log();
    auto trusted = StartTlsFake("server", "localhost");
    ASSERT_TRUE(trusted.ok()) << trusted.status();
    stack->trusted = *std::move(trusted);
    auto wrong_name = StartTlsFake("wrong-host", "wrong-host.invalid");
    ASSERT_TRUE(wrong_name.ok()) << wrong_name.status();
    stack->wrong_name = *std::move(wrong_name);

    const Gwctl gwctl(stack->cp);
    const std::string key_ref = absl::StrCat("env:", kProviderEnv);
    // The host name of each URL is what the worker verifies the certificate against.
    gwctl.MustRun({"provider", "create", "tls-good", "--type", "openai-compatible", "--base-url",
                   absl::StrCat("https://localhost:", stack->trusted.process->port(), "/v1"),
                   "--api-key-ref", key_ref});
    gwctl.MustRun({"provider", "create", "tls-ip", "--type", "openai-compatible", "--base-url",
                   absl::StrCat("https://127.0.0.1:", stack->trusted.process->port(), "/v1"),
                   "--api-key-ref", key_ref});
    gwctl.MustRun({"provider", "create", "tls-wrong-name", "--type", "openai-compatible",
                   "--base-url",
                   absl::StrCat("https://localhost:", stack->wrong_name.process->port(), "/v1"),
                   "--api-key-ref", key_ref});
    gwctl.MustRun({"model", "create", "good-chat", "--provider", "tls-good", "--upstream-model",
                   "tls-upstream-chat"});
    gwctl.MustRun({"model", "create", "ip-chat", "--provider", "tls-ip"});
    gwctl.MustRun({"model", "create", "wrong-name-chat", "--provider", "tls-wrong-name"});
    gwctl.MustRun({"team", "create", "tls"});
    auto key = gwctl.CreateKey("tls");
    ASSERT_TRUE(key.ok()) << key.status();
    stack->key = *key;
    auto version = gwctl.Version();
    ASSERT_TRUE(version.ok()) << version.status();

    auto with_ca = StartWorker("worker-with-ca", {"--upstream-ca-file", CertPath("ca.pem")});
    ASSERT_TRUE(with_ca.ok()) << with_ca.status();
    stack->worker_with_ca.emplace(*std::move(with_ca));
    auto without_ca = StartWorker("worker-without-ca", {});
    ASSERT_TRUE(without_ca.ok()) << without_ca.status();
    stack->worker_without_ca.emplace(*std::move(without_ca));
    auto with_ca_address = WaitUntilReady(*stack->worker_with_ca, *version);
    ASSERT_TRUE(with_ca_address.ok()) << with_ca_address.status();
    stack->with_ca_address = *with_ca_address;
    auto without_ca_address = WaitUntilReady(*stack->worker_without_ca, *version);
    ASSERT_TRUE(without_ca_address.ok()) << without_ca_address.status();
    stack->without_ca_address = *without_ca_address;
  }

  static void TearDownTestSuite() {
    delete stack;
    stack = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(stack, nullptr);
    ASSERT_FALSE(stack->with_ca_address.empty());
    ASSERT_FALSE(stack->without_ca_address.empty());
    for (const TlsFake* fake : {&stack->trusted, &stack->wrong_name}) {
      auto cleared = TestHttpCall(fake->process->address(), "DELETE", "/_fake/requests", "", {},
                                  &fake->verify);
      ASSERT_TRUE(cleared.ok()) << cleared.status();
    }
  }

  void TearDown() override {
    if (!HasFailure()) return;
    if (stack->worker_with_ca) {
      std::cerr << "worker with CA:\n" << stack->worker_with_ca->LogTail() << "\n";
    }
    if (stack->worker_without_ca) {
      std::cerr << "worker without CA:\n" << stack->worker_without_ca->LogTail() << "\n";
    }
  }

  static TestResponse Chat(const std::string& worker_address, const std::string& model,
                           const std::string& extra = "") {
    const std::string body =
        absl::StrCat(R"({"model":")", model,
                     R"(","messages":[{"role":"user","content":"over tls please"}])", extra, "}");
    auto response = TestHttpCall(worker_address, "POST", "/v1/chat/completions", body,
                                 {{"authorization", absl::StrCat("Bearer ", stack->key)},
                                  {"content-type", "application/json"}});
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : TestResponse{};
  }

  // The requests a fake received, read over TLS.
  static json::array FakeRequests(const TlsFake& fake) {
    auto response =
        TestHttpCall(fake.process->address(), "GET", "/_fake/requests", "", {}, &fake.verify);
    EXPECT_TRUE(response.ok()) << response.status();
    if (!response.ok()) return {};
    return json::parse(response->body).as_object().at("requests").as_array();
  }

  // 502 api_error in the OpenAI shape, with a message that gives nothing away: no credential,
  // no gateway key, no address of the provider, no file path.
  static void ExpectRefusedWith502(const TestResponse& response, const TlsFake& fake) {
    EXPECT_EQ(response.status, 502) << response.body;
    EXPECT_THAT(response.headers.at("content-type"), HasSubstr("application/json"));
    boost::system::error_code ec;
    const json::value body = json::parse(response.body, ec);
    ASSERT_FALSE(ec) << response.body;
    const json::object& error = body.at("error").as_object();
    EXPECT_EQ(error.at("type").as_string(), "api_error") << response.body;
    EXPECT_TRUE(error.contains("param")) << response.body;
    EXPECT_TRUE(error.contains("code")) << response.body;
    const std::string message(error.at("message").as_string());
    EXPECT_FALSE(message.empty());
    EXPECT_THAT(message, Not(HasSubstr(kProviderSecret)));
    EXPECT_THAT(message, Not(HasSubstr(stack->key)));
    EXPECT_THAT(message, Not(HasSubstr(absl::StrCat(fake.process->port()))));
    EXPECT_THAT(message, Not(HasSubstr("localhost")));
    EXPECT_THAT(message, Not(HasSubstr(stack->dir.path())));
    EXPECT_THAT(response.body, Not(HasSubstr("BEGIN")));
  }
};

TEST_F(UpstreamTlsTest, TrustedCertificateForTheUrlsHostServesTheFakesAnswer) {
  const TestResponse response = Chat(stack->with_ca_address, "good-chat");
  ASSERT_EQ(response.status, 200) << response.body;
  const json::object body = json::parse(response.body).as_object();
  EXPECT_EQ(body.at("model").as_string(), "tls-upstream-chat");
  EXPECT_EQ(body.at("choices").as_array()[0].at("message").at("content").as_string(),
            "over tls please");
  EXPECT_EQ(body.at("usage").at("completion_tokens").to_number<int64_t>(), 3);

  const json::array requests = FakeRequests(stack->trusted);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].at("path").as_string(), "/v1/chat/completions");
  // The provider's own credential crossed the TLS connection, never the gateway key.
  EXPECT_EQ(requests[0].at("headers").at("authorization").as_string(),
            absl::StrCat("Bearer ", kProviderSecret));
}

TEST_F(UpstreamTlsTest, TrustedCertificateServesAStream) {
  const TestResponse response = Chat(stack->with_ca_address, "good-chat", R"(,"stream":true)");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_THAT(response.headers.at("content-type"), HasSubstr("text/event-stream"));
  const std::vector<std::string> events = SseData(response.body);
  ASSERT_GE(events.size(), 3u) << response.body;
  EXPECT_EQ(events.back(), "[DONE]");
  std::string content;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    const json::value chunk = json::parse(events[i]);
    const json::object& delta = chunk.at("choices").as_array()[0].at("delta").as_object();
    if (delta.contains("content")) content += delta.at("content").as_string();
  }
  EXPECT_EQ(content, "over tls please");
}

TEST_F(UpstreamTlsTest, IpLiteralUrlVerifiesAgainstTheCertificatesIpAddress) {
  const TestResponse response = Chat(stack->with_ca_address, "ip-chat");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(FakeRequests(stack->trusted).size(), 1u);
}

TEST_F(UpstreamTlsTest, CertificateForAnotherNameIsRefusedWith502) {
  const TestResponse response = Chat(stack->with_ca_address, "wrong-name-chat");
  ExpectRefusedWith502(response, stack->wrong_name);
  // The handshake failed: the request never reached the provider.
  EXPECT_TRUE(FakeRequests(stack->wrong_name).empty());
  // The operator learns why from the worker's log.
  EXPECT_TRUE(PollUntil(
      [] { return stack->worker_with_ca->Log().find("hostname mismatch") != std::string::npos; },
      absl::Seconds(5)))
      << stack->worker_with_ca->LogTail();
}

TEST_F(UpstreamTlsTest, CertificateForAnotherNameRefusesAStreamWith502) {
  const TestResponse response =
      Chat(stack->with_ca_address, "wrong-name-chat", R"(,"stream":true)");
  ExpectRefusedWith502(response, stack->wrong_name);
  EXPECT_TRUE(FakeRequests(stack->wrong_name).empty());
}

TEST_F(UpstreamTlsTest, WorkerWithoutTheTestCaRefusesTheProviderWith502) {
  const TestResponse response = Chat(stack->without_ca_address, "good-chat");
  ExpectRefusedWith502(response, stack->trusted);
  EXPECT_TRUE(FakeRequests(stack->trusted).empty());
  EXPECT_TRUE(PollUntil(
      [] {
        return stack->worker_without_ca->Log().find("certificate verify failed") !=
               std::string::npos;
      },
      absl::Seconds(5)))
      << stack->worker_without_ca->LogTail();
  // The same provider works from the worker that trusts the CA: only the trust differed.
  EXPECT_EQ(Chat(stack->with_ca_address, "good-chat").status, 200);
}

TEST_F(UpstreamTlsTest, WorkerRefusesToStartWithAnUnreadableCaFile) {
  const std::string not_pem = stack->dir.Path("not-a-ca.pem");
  ASSERT_TRUE(WriteFile(not_pem, "this is not a certificate\n").ok());
  for (const std::string& ca_file : {not_pem, stack->dir.Path("no-such-ca.pem")}) {
    auto worker = StartWorker("worker-bad-ca", {"--upstream-ca-file", ca_file});
    ASSERT_TRUE(worker.ok()) << worker.status();
    absl::StatusOr<int> exit_code = worker->Wait(absl::Seconds(20));
    ASSERT_TRUE(exit_code.ok()) << "the worker started with a CA file it cannot load";
    EXPECT_NE(*exit_code, 0);
    EXPECT_THAT(worker->Log(), HasSubstr("cannot load the upstream CA file")) << worker->Log();
  }
}

}  // namespace
}  // namespace gw::testing
