// cp_usage_load: usage ingestion rate of the control plane. Starts a control plane on a fresh
// database (loopback), then N synthetic reporters, each on its own connection and its own
// ReportUsage stream with the worker token, send batches of realistic records with unique record
// ids, keeping up to --in-flight batches unacknowledged (as a worker's reporter does), and check
// that every ack comes in order. Prints records/s acknowledged (so committed to SQLite) as
// key=value figures on stdout.
//   cp_usage_load --reporters 4 --records-per-reporter 50000 --batch 500 --in-flight 2
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "gateway/usage/v1/usage.grpc.pb.h"
#include "tests/integration/harness/stack.h"

namespace gw::bench {
namespace {

namespace usage = gateway::usage::v1;
using Clock = std::chrono::steady_clock;

struct Flags {
  int reporters = 4;
  int records_per_reporter = 50'000;
  int batch = 500;
  int in_flight = 2;  // As a worker's reporter with a backlog.
  int timeout_s = 300;
};

constexpr const char* kModels[] = {"gpt-4o", "gpt-4o-mini", "claude-sonnet", "llama-70b"};
constexpr const char* kUpstreamModels[] = {"gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18",
                                           "claude-3-5-sonnet-20241022", "llama-3.1-70b-instruct"};
constexpr int64_t kInputPicoPerToken[] = {2'500'000, 150'000, 3'000'000, 600'000};
constexpr int64_t kOutputPicoPerToken[] = {10'000'000, 600'000, 15'000'000, 600'000};

// A record shaped like the ones a worker sends: 200 teams, 10 keys each, four models, a mix of
// successes, refusals and provider errors.
void FillRecord(int reporter, int64_t sequence, const std::string& run, usage::UsageRecord* r) {
  const int64_t n = sequence * 7919 + reporter * 104729;  // Spreads teams, models and sizes.
  const int team = static_cast<int>(n % 200);
  const int model = static_cast<int>((n / 200) % 4);
  r->set_record_id(absl::StrCat(run, "-w", reporter, "-", sequence));
  r->set_request_id(absl::StrFormat("req-%016x", static_cast<uint64_t>(n) * 2654435761u));
  const int64_t now_us = absl::ToUnixMicros(absl::Now());
  r->mutable_timestamp()->set_seconds(now_us / 1'000'000);
  r->mutable_timestamp()->set_nanos(static_cast<int32_t>(now_us % 1'000'000) * 1000);
  r->set_worker_id(absl::StrCat("bench-worker-", reporter));
  r->set_team(absl::StrFormat("team-%05d", team));
  r->set_key_id(absl::StrFormat("key_bench%05d%02d", team, static_cast<int>(n % 10)));
  r->set_model(kModels[model]);
  r->set_provider(model == 2 ? "anthropic" : "openai");
  r->set_upstream_model(kUpstreamModels[model]);
  const int outcome = static_cast<int>(n % 50);
  if (outcome == 0) {
    r->set_status_code(429);
    r->set_error_code("rate_limit_exceeded");
    r->set_latency_us(180 + n % 50);
    return;
  }
  if (outcome == 1) {
    r->set_status_code(502);
    r->set_error_code("upstream_error");
    r->set_latency_us(30'000 + n % 5000);
    r->set_time_to_first_byte_us(30'000);
    return;
  }
  const int64_t input = 50 + n % 2000;
  const int64_t cached = (n % 3 == 0) ? input / 2 : 0;
  const int64_t output = 10 + n % 800;
  r->set_status_code(200);
  r->set_input_tokens(input);
  r->set_cached_input_tokens(cached);
  r->set_output_tokens(output);
  r->set_latency_us(300'000 + n % 2'000'000);
  r->set_time_to_first_byte_us(120'000 + n % 200'000);
  r->set_cost_pico_usd(input * kInputPicoPerToken[model] + output * kOutputPicoPerToken[model]);
  r->set_streamed(n % 2 == 0);
}

struct ReporterResult {
  absl::Status status;
  int64_t acknowledged = 0;  // accepted + duplicates, as acked.
  int64_t duplicates = 0;
};

void RunReporter(const Flags& flags, const std::string& address, const std::string& run, int id,
                 const std::vector<usage::UsageBatch>& batches, std::atomic<bool>& go,
                 ReporterResult& result) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // One connection per reporter, as workers.
  args.SetInt("bench.reporter", id);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  auto stub = usage::UsageReporting::NewStub(channel);
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", testing::kWorkerToken));
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(flags.timeout_s));
  while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
  auto stream = stub->ReportUsage(&context);
  // Acks come in the order sent; a window of unacknowledged batch ids checks it.
  std::deque<uint64_t> unacknowledged;
  size_t next = 0;
  bool broken = false;
  while (!broken && (next < batches.size() || !unacknowledged.empty())) {
    while (next < batches.size() && unacknowledged.size() < static_cast<size_t>(flags.in_flight)) {
      if (!stream->Write(batches[next])) {
        broken = true;
        break;
      }
      unacknowledged.push_back(batches[next++].batch_id());
    }
    if (broken || unacknowledged.empty()) break;
    usage::UsageAck ack;
    if (!stream->Read(&ack)) break;
    if (ack.batch_id() != unacknowledged.front()) {
      result.status = absl::InternalError(absl::StrCat(
          "ack for batch ", ack.batch_id(), " while waiting for ", unacknowledged.front()));
      return;
    }
    unacknowledged.pop_front();
    result.acknowledged += ack.accepted() + ack.duplicates();
    result.duplicates += ack.duplicates();
  }
  stream->WritesDone();
  grpc::Status finish = stream->Finish();
  if (!finish.ok()) {
    result.status = absl::InternalError(absl::StrCat(
        "reporter ", id, ": stream ended with ", finish.error_code(), " ", finish.error_message()));
  }
  (void)run;
}

absl::Status Run(const Flags& flags) {
  GW_ASSIGN_OR_RETURN(testing::TempDir dir, testing::TempDir::Create("gw-cp-usage-bench"));
  testing::ControlPlaneProcess cp(dir);
  GW_RETURN_IF_ERROR(cp.Start());

  // Records are built before the clock starts: the figure is the control plane's, not this
  // generator's (serialising them stays in the measurement, as it does for a real worker).
  const std::string run = absl::StrFormat("bench%x", absl::ToUnixMicros(absl::Now()));
  std::vector<std::vector<usage::UsageBatch>> batches(static_cast<size_t>(flags.reporters));
  for (int r = 0; r < flags.reporters; ++r) {
    int64_t sequence = 0;
    uint64_t batch_id = 1;
    while (sequence < flags.records_per_reporter) {
      usage::UsageBatch& batch = batches[static_cast<size_t>(r)].emplace_back();
      batch.set_batch_id(batch_id++);
      batch.set_worker_id(absl::StrCat("bench-worker-", r));
      for (int i = 0; i < flags.batch && sequence < flags.records_per_reporter; ++i) {
        FillRecord(r, sequence++, run, batch.add_records());
      }
    }
  }

  std::atomic<bool> go{false};
  std::vector<ReporterResult> results(static_cast<size_t>(flags.reporters));
  std::vector<std::thread> threads;
  for (int r = 0; r < flags.reporters; ++r) {
    threads.emplace_back(RunReporter, std::cref(flags), cp.address(), run, r,
                         std::cref(batches[static_cast<size_t>(r)]), std::ref(go),
                         std::ref(results[static_cast<size_t>(r)]));
  }
  const Clock::time_point start = Clock::now();
  go.store(true, std::memory_order_release);
  for (std::thread& thread : threads) thread.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  int64_t acknowledged = 0;
  int64_t duplicates = 0;
  for (const ReporterResult& result : results) {
    GW_RETURN_IF_ERROR(result.status);
    acknowledged += result.acknowledged;
    duplicates += result.duplicates;
  }
  const int64_t sent = int64_t{flags.reporters} * flags.records_per_reporter;
  if (acknowledged != sent || duplicates != 0) {
    return absl::InternalError(absl::StrCat(sent, " records sent, ", acknowledged,
                                            " acknowledged, ", duplicates, " as duplicates"));
  }
  std::printf(
      "usage_reporters=%d\nusage_batch_records=%d\nusage_in_flight=%d\nusage_records=%lld\n",
      flags.reporters, flags.batch, flags.in_flight, static_cast<long long>(acknowledged));
  std::printf("usage_seconds=%.3f\nusage_records_per_s=%.0f\n", seconds,
              static_cast<double>(acknowledged) / seconds);
  GW_RETURN_IF_ERROR(cp.Stop());
  // The control plane is this process's only reaped child: its CPU time (start and stop
  // included, both small on a fresh database) gives a figure the machine's other load moves
  // much less than records/s: records per CPU-second.
  rusage children{};
  getrusage(RUSAGE_CHILDREN, &children);
  const double cpu_seconds =
      static_cast<double>(children.ru_utime.tv_sec + children.ru_stime.tv_sec) +
      static_cast<double>(children.ru_utime.tv_usec + children.ru_stime.tv_usec) / 1e6;
  std::printf("usage_cp_cpu_seconds=%.3f\nusage_records_per_cp_cpu_s=%.0f\n", cpu_seconds,
              cpu_seconds > 0 ? static_cast<double>(acknowledged) / cpu_seconds : 0.0);
  std::fflush(stdout);
  return absl::OkStatus();
}

}  // namespace
}  // namespace gw::bench

int main(int argc, char** argv) {
  gw::bench::Flags flags;
  CLI::App app{"cp_usage_load: usage records/s acknowledged by the control plane"};
  app.add_option("--reporters", flags.reporters, "concurrent ReportUsage streams")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--records-per-reporter", flags.records_per_reporter, "records each sends")
      ->check(CLI::Range(1, 10'000'000))
      ->capture_default_str();
  app.add_option("--batch", flags.batch, "records per batch (a worker's default is 500)")
      ->check(CLI::Range(1, 20'000))
      ->capture_default_str();
  app.add_option("--in-flight", flags.in_flight,
                 "batches each reporter keeps unacknowledged (the control plane reads 4 ahead)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--timeout-s", flags.timeout_s, "give up after this")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (absl::Status status = gw::bench::Run(flags); !status.ok()) {
    std::fprintf(stderr, "cp_usage_load: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
