// gw-fake-provider: an OpenAI-compatible provider for the gateway's tests and benchmarks. See
// README.md beside this file for the flags, the x_fake fields and the control endpoints.
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/logging.h"
#include "spdlog/spdlog.h"
#include "tests/fakes/fake_state.h"
#include "tests/fakes/server.h"
#include "tests/fakes/tls_context.h"

namespace {

using gw::testing::Behaviour;
using gw::testing::FakeProviderOptions;

struct Flags {
  std::string listen = "127.0.0.1:0";
  int threads = 1;
  int64_t record = 100;
  std::string log_format = "text";
  std::string tls_cert;
  std::string tls_key;
  std::string require_key;
  std::string api_key_env;
  std::string models;
  std::optional<std::string> content;
  std::optional<int64_t> completion_tokens;
  std::optional<int64_t> stall_after_chunks;
  std::optional<int64_t> reset_after_chunks;
  Behaviour behaviour;
};

void AddFlags(CLI::App& app, Flags& f) {
  app.add_option("--listen", f.listen, "host:port to listen on (port 0: any free port)");
  app.add_option("--threads", f.threads, "server threads, one io_context each")
      ->check(CLI::Range(1, 256));
  app.add_option("--record", f.record, "how many /v1 requests GET /_fake/requests keeps (0: off)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--log-format", f.log_format, "text or json");
  app.add_option("--tls-cert", f.tls_cert, "PEM certificate chain: serve HTTPS");
  app.add_option("--tls-key", f.tls_key, "PEM private key for --tls-cert");
  app.add_option("--require-key", f.require_key, "expected Bearer key on /v1 requests");
  app.add_option("--api-key-env", f.api_key_env,
                 "name of an environment variable holding the expected Bearer key");
  app.add_option("--models", f.models, "comma-separated ids GET /v1/models lists");

  Behaviour& b = f.behaviour;
  app.add_option("--status", b.status, "answer every /v1 request with this status")
      ->check(CLI::Range(200, 599));
  app.add_option("--error-message", b.error_message, "error.message of injected errors");
  app.add_option("--error-type", b.error_type, "error.type of injected errors");
  app.add_option("--error-code", b.error_code, "error.code of injected errors");
  app.add_option("--retry-after-s", b.retry_after_s, "Retry-After of 429 and 503");
  app.add_option("--first-byte-delay-ms", b.first_byte_delay_ms, "delay before the response head");
  app.add_flag("--stall", b.stall, "never answer");
  app.add_option("--stall-after-chunks", f.stall_after_chunks, "streams hang after N events");
  app.add_option("--reset-after-chunks", f.reset_after_chunks, "streams reset after N events");
  app.add_flag("--truncate-body", b.truncate_body, "cut bodies short and close");
  app.add_option("--chunks", b.chunks, "content chunks per stream (0: one per word)");
  app.add_option("--chunk-interval-ms", b.chunk_interval_ms, "pause between stream events");
  app.add_option("--content", f.content, "fixed completion text instead of the echo");
  app.add_option("--completion-tokens", f.completion_tokens,
                 "generated completion of N words instead of the echo");
  app.add_option("--cached-tokens", b.cached_tokens, "usage.prompt_tokens_details.cached_tokens");
  app.add_option("--embedding-dimensions", b.embedding_dimensions,
                 "embedding size when the request has no dimensions")
      ->check(CLI::Range(1, 65536));
}

int Run(Flags& f) {
  if (absl::Status s = gw::InitLogging(f.log_format, "gw-fake-provider"); !s.ok()) {
    std::cerr << s.message() << "\n";
    return 2;
  }
  FakeProviderOptions options;
  options.record_capacity = static_cast<size_t>(f.record);
  options.defaults = f.behaviour;
  options.defaults.content = f.content;
  options.defaults.completion_tokens = f.completion_tokens;
  options.defaults.stall_after_chunks = f.stall_after_chunks;
  options.defaults.reset_after_chunks = f.reset_after_chunks;
  if (!f.models.empty()) {
    options.models = absl::StrSplit(f.models, ',', absl::SkipEmpty());
  }
  options.expected_key = f.require_key;
  if (!f.api_key_env.empty()) {
    const char* key = std::getenv(f.api_key_env.c_str());
    if (key == nullptr || *key == '\0') {
      spdlog::error("--api-key-env {}: the variable is unset or empty", f.api_key_env);
      return 2;
    }
    options.expected_key = key;
  }

  gw::testing::ListenOptions listen;
  listen.threads = f.threads;
  const size_t colon = f.listen.rfind(':');
  uint32_t port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(f.listen.substr(colon + 1), &port) ||
      port > 65535) {
    spdlog::error("--listen wants host:port, got '{}'", f.listen);
    return 2;
  }
  listen.host = f.listen.substr(0, colon);
  if (listen.host.size() >= 2 && listen.host.front() == '[' && listen.host.back() == ']') {
    listen.host = listen.host.substr(1, listen.host.size() - 2);
  }
  listen.port = static_cast<uint16_t>(port);
  if (f.tls_cert.empty() != f.tls_key.empty()) {
    spdlog::error("--tls-cert and --tls-key go together");
    return 2;
  }
  if (!f.tls_cert.empty()) {
    auto tls = gw::testing::MakeServerTlsContext(f.tls_cert, f.tls_key);
    if (!tls.ok()) {
      spdlog::error("{}", tls.status().ToString());
      return 2;
    }
    listen.tls = std::move(*tls);
  }

  // Every thread inherits the blocked signals, so only sigwait below sees SIGTERM and SIGINT.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  gw::testing::FakeProviderState state(std::move(options));
  auto server = gw::testing::FakeProviderServer::Start(listen, state);
  if (!server.ok()) {
    spdlog::error("{}", server.status().ToString());
    return 1;
  }
  spdlog::info("listening http on {}{} ({} thread{})", (*server)->address(),
               listen.tls ? " (tls)" : "", f.threads, f.threads == 1 ? "" : "s");
  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("signal {} received, stopping", received);
  (*server)->Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("gw-fake-provider: a fake OpenAI-compatible provider for tests and benchmarks");
  Flags flags;
  AddFlags(app, flags);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return Run(flags);
}
