// gw-bench-client: the benchmark's load generators that wrk cannot be: an open-loop generator
// (a fixed arrival rate, latency from each request's due time) and an SSE streaming client
// (first-event latency, gaps between events, stalls, batching). Loopback targets only. Each run
// is bounded in time and prints one line of key=value pairs (latencies in microseconds).
//   gw-bench-client open --target 127.0.0.1:8080 --body-file b.json --rate 5000 --duration-ms 5000
//   gw-bench-client stream --target 127.0.0.1:8080 --body-file s.json --concurrency 1000
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "bench/client/latency_summary.h"
#include "bench/client/open_loop.h"
#include "bench/client/stream_load.h"
#include "boost/asio/ip/address.hpp"

namespace {

using gw::bench::LatencySummary;

struct CommonFlags {
  std::string target;
  std::string path = "/v1/chat/completions";
  std::string body_file;
  std::vector<std::string> headers;
  int64_t duration_ms = 5000;
};

void AddCommonFlags(CLI::App* app, CommonFlags& f) {
  app->add_option("--target", f.target, "host:port, a loopback address")->required();
  app->add_option("--path", f.path, "request path")->capture_default_str();
  app->add_option("--body-file", f.body_file, "JSON request body")->required();
  app->add_option("--header", f.headers, "extra request header 'name: value' (repeatable)");
  app->add_option("--duration-ms", f.duration_ms, "how long requests start")
      ->check(CLI::Range(int64_t{1}, int64_t{600'000}))
      ->capture_default_str();
}

// Fills `spec`, refusing anything but a loopback address: the generators must never load
// another machine.
bool MakeSpec(const CommonFlags& f, gw::bench::RequestSpec& spec) {
  const size_t colon = f.target.rfind(':');
  uint32_t port = 0;
  boost::system::error_code ec;
  const auto address =
      boost::asio::ip::make_address(f.target.substr(0, colon == std::string::npos ? 0 : colon), ec);
  if (colon == std::string::npos || ec || !absl::SimpleAtoi(f.target.substr(colon + 1), &port) ||
      port == 0 || port > 65535) {
    std::cerr << "--target wants ip:port, got " << f.target << "\n";
    return false;
  }
  if (!address.is_loopback()) {
    std::cerr << "--target must be a loopback address\n";
    return false;
  }
  std::ifstream in(f.body_file);
  if (!in) {
    std::cerr << "cannot read " << f.body_file << "\n";
    return false;
  }
  std::stringstream body;
  body << in.rdbuf();
  spec.endpoint = {address, static_cast<uint16_t>(port)};
  spec.path = f.path;
  spec.headers = f.headers;
  spec.body = body.str();
  return true;
}

std::string ErrorField(const std::string& error) {
  if (error.empty()) return "";
  std::string quoted = error;
  for (char& c : quoted) {
    if (c == ' ' || c == '\n') c = '_';
  }
  return absl::StrCat(" first_error=", quoted);
}

void PrintOpenLoop(const gw::bench::OpenLoopResult& r, double rate) {
  const LatencySummary latency(r.latencies_us);
  std::cout << absl::StrCat(
                   "rate=", rate, " due=", r.due, " completed=", r.completed,
                   " non_2xx=", r.non_2xx, " errors=", r.errors, " unfinished=", r.unfinished,
                   " rps=", r.seconds > 0 ? static_cast<double>(r.completed) / r.seconds : 0,
                   " p50_us=", latency.Percentile(50), " p90_us=", latency.Percentile(90),
                   " p99_us=", latency.Percentile(99), " p999_us=", latency.Percentile(99.9),
                   " max_us=", latency.Max(), ErrorField(r.first_error))
            << std::endl;
}

void PrintStream(const gw::bench::StreamLoadResult& r) {
  const LatencySummary first(r.first_event_us);
  const LatencySummary gap(r.gap_us);
  std::cout << absl::StrCat(
                   "started=", r.started, " completed=", r.completed, " failed=", r.failed,
                   " stalled=", r.stalled, " events=", r.events, " batched_reads=", r.batched_reads,
                   " rps=", r.seconds > 0 ? static_cast<double>(r.completed) / r.seconds : 0,
                   " ttfb_p50_us=", first.Percentile(50), " ttfb_p99_us=", first.Percentile(99),
                   " gap_p50_us=", gap.Percentile(50), " gap_p99_us=", gap.Percentile(99),
                   " gap_max_us=", gap.Max(), ErrorField(r.first_error))
            << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("gw-bench-client: open-loop and SSE streaming load generators for the benchmark");
  app.require_subcommand(1);

  CommonFlags open_flags;
  double rate = 1000;
  int connections = 64;
  CLI::App* open = app.add_subcommand("open", "a fixed arrival rate; latency from due times");
  AddCommonFlags(open, open_flags);
  open->add_option("--rate", rate, "requests per second")
      ->check(CLI::Range(1.0, 1'000'000.0))
      ->capture_default_str();
  open->add_option("--connections", connections, "most connections opened")
      ->check(CLI::Range(1, 10'000))
      ->capture_default_str();

  CommonFlags stream_flags;
  int concurrency = 1;
  int64_t ramp_ms = 0;
  int64_t stall_gap_ms = 1000;
  int64_t grace_ms = 10'000;
  CLI::App* stream = app.add_subcommand("stream", "SSE streams back to back per connection");
  AddCommonFlags(stream, stream_flags);
  stream->add_option("--concurrency", concurrency, "connections streaming at once")
      ->check(CLI::Range(1, 20'000))
      ->capture_default_str();
  stream->add_option("--ramp-ms", ramp_ms, "spread the connections' starts over this time")
      ->check(CLI::Range(int64_t{0}, int64_t{60'000}));
  stream->add_option("--stall-gap-ms", stall_gap_ms, "a longer gap between events is a stall")
      ->check(CLI::Range(int64_t{1}, int64_t{600'000}))
      ->capture_default_str();
  stream->add_option("--grace-ms", grace_ms, "time the last streams get to finish")
      ->check(CLI::Range(int64_t{0}, int64_t{600'000}))
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (open->parsed()) {
    gw::bench::OpenLoopOptions options;
    if (!MakeSpec(open_flags, options.spec)) return 2;
    options.rate_per_s = rate;
    options.connections = connections;
    options.duration = std::chrono::milliseconds(open_flags.duration_ms);
    PrintOpenLoop(gw::bench::RunOpenLoop(options), rate);
    return 0;
  }
  gw::bench::StreamLoadOptions options;
  if (!MakeSpec(stream_flags, options.spec)) return 2;
  options.concurrency = concurrency;
  options.duration = std::chrono::milliseconds(stream_flags.duration_ms);
  options.ramp = std::chrono::milliseconds(ramp_ms);
  options.stall_gap = std::chrono::milliseconds(stall_gap_ms);
  options.grace = std::chrono::milliseconds(grace_ms);
  PrintStream(gw::bench::RunStreamLoad(options));
  return 0;
}
