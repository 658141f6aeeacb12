// The access log on real files: the exact line of a full record, JSON escaping, flushes by size
// and by interval (polled with a deadline), rotation by rename and Reopen, the buffer cap,
// write errors, the destructor's flush, concurrent appends, and the usage sink decorator.
#include "data_plane/observability/access_log.h"

#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "boost/json.hpp"
#include "data_plane/stages/usage/access_logging_sink.h"
#include "gtest/gtest.h"
#include "poll_until.h"
#include "temp_dir.h"

namespace gw::dp {
namespace {

using gateway::usage::v1::UsageRecord;
using gw::testing::PollUntil;
using gw::testing::TempDir;

// Every field set, with the values the expected line below spells out.
UsageRecord FullRecord() {
  UsageRecord record;
  record.set_record_id("worker-1-00ff00ff00ff00ff-42");
  record.set_request_id("req_0123456789abcdef01234567");
  record.mutable_timestamp()->set_seconds(1796654825);  // 2026-12-07T14:47:05Z
  record.mutable_timestamp()->set_nanos(123'456'789);
  record.set_worker_id("worker-1");
  record.set_team("search");
  record.set_key_id("key-7");
  record.set_model("gpt-4o-mini");
  record.set_provider("openai");
  record.set_upstream_model("gpt-4o-mini-2024-07-18");
  record.set_input_tokens(1234);
  record.set_cached_input_tokens(1000);
  record.set_output_tokens(567);
  record.set_latency_us(250'000);
  record.set_time_to_first_byte_us(80'000);
  record.set_status_code(200);
  record.set_error_code("");
  record.set_cost_pico_usd(7'505'000'000);
  record.set_estimated(false);
  record.set_streamed(true);
  return record;
}

constexpr char kFullLine[] =
    R"({"time":"2026-12-07T14:47:05.123456Z","request_id":"req_0123456789abcdef01234567",)"
    R"("status":200,"latency_us":250000,"ttfb_us":80000,"team":"search","key_id":"key-7",)"
    R"("model":"gpt-4o-mini","provider":"openai","upstream_model":"gpt-4o-mini-2024-07-18",)"
    R"("input_tokens":1234,"cached_input_tokens":1000,"output_tokens":567,)"
    R"("cost_pico_usd":7505000000,"streamed":true,"estimated":false,"error_code":"",)"
    R"("worker":"worker-1","record_id":"worker-1-00ff00ff00ff00ff-42"})"
    "\n";

UsageRecord NumberedRecord(int n) {
  UsageRecord record = FullRecord();
  record.set_request_id(absl::StrCat("req-", n));
  return record;
}

std::string Line(const UsageRecord& record) {
  std::string line;
  AppendAccessLogLine(record, &line);
  return line;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// The file's complete lines.
std::vector<std::string> Lines(const std::string& path) {
  std::vector<std::string> lines;
  const std::string contents = ReadFile(path);
  for (absl::string_view line : absl::StrSplit(contents, '\n', absl::SkipEmpty())) {
    lines.emplace_back(line.data(), line.size());
  }
  return lines;
}

std::string RequestIdOf(const std::string& line) {
  return std::string(boost::json::parse(line).as_object().at("request_id").as_string());
}

// Whether the flusher thread is asleep (state S in /proc): after appends that did not fill the
// buffer, it is then waiting for a full buffer or the interval, and only an append can wake it.
bool FlusherIsAsleep() {
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    if (ReadFile(task.path().string() + "/comm") != "gw-access-log\n") continue;
    // "<tid> (<comm>) <state> ...": the state follows the comm's closing parenthesis.
    const std::string stat = ReadFile(task.path().string() + "/stat");
    const size_t close = stat.rfind(')');
    return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'S';
  }
  return false;
}

std::unique_ptr<AccessLog> MustOpen(AccessLogOptions options) {
  auto log = AccessLog::Open(std::move(options));
  EXPECT_TRUE(log.ok()) << log.status();
  return log.ok() ? *std::move(log) : nullptr;
}

TEST(AccessLogLineTest, FullRecordRendersExactly) { EXPECT_EQ(Line(FullRecord()), kFullLine); }

TEST(AccessLogLineTest, EmptyRecordIsStillAWholeObject) {
  EXPECT_EQ(Line(UsageRecord()),
            R"({"time":"1970-01-01T00:00:00.000000Z","request_id":"","status":0,"latency_us":0,)"
            R"("ttfb_us":0,"team":"","key_id":"","model":"","provider":"","upstream_model":"",)"
            R"("input_tokens":0,"cached_input_tokens":0,"output_tokens":0,"cost_pico_usd":0,)"
            R"("streamed":false,"estimated":false,"error_code":"","worker":"","record_id":""})"
            "\n");
}

TEST(AccessLogLineTest, EscapesQuotesBackslashesAndControlCharacters) {
  UsageRecord record;
  record.set_team(std::string("a\"b\\c\nd\te\x01\x1f\x7f", 12));
  record.set_model("caf\xc3\xa9");  // UTF-8 passes through untouched.
  record.set_error_code(std::string("\0x", 2));
  const std::string line = Line(record);
  EXPECT_NE(line.find(R"("team":"a\"b\\c\nd\te\u0001\u001f)"
                      "\x7f"
                      R"(")"),
            std::string::npos)
      << line;
  EXPECT_NE(line.find("\"model\":\"caf\xc3\xa9\""), std::string::npos) << line;
  EXPECT_NE(line.find(R"("error_code":"\u0000x")"), std::string::npos) << line;
  // The line is one valid JSON object that gives back the original strings.
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  const boost::json::object parsed = boost::json::parse(line).as_object();
  EXPECT_EQ(parsed.at("team").as_string(), record.team());
  EXPECT_EQ(parsed.at("model").as_string(), record.model());
  EXPECT_EQ(parsed.at("error_code").as_string(), record.error_code());
}

TEST(AccessLogLineTest, TimeIsUtcWithMicroseconds) {
  UsageRecord record;
  record.mutable_timestamp()->set_seconds(951782400 - 1);  // 2000-02-28T23:59:59Z
  record.mutable_timestamp()->set_nanos(999'999'999);
  EXPECT_EQ(Line(record).substr(0, 37), R"({"time":"2000-02-28T23:59:59.999999Z")");
  record.mutable_timestamp()->set_seconds(951782400);  // the leap day
  record.mutable_timestamp()->set_nanos(1000);
  EXPECT_EQ(Line(record).substr(0, 37), R"({"time":"2000-02-29T00:00:00.000001Z")");
}

TEST(AccessLogLineTest, TimeAgreesWithAbseilAcrossTheRange) {
  // From 1970 to 9999-12-31T23:59:59Z in uneven steps, leap years and month ends included.
  constexpr int64_t kLast = 253402300799;
  for (int64_t seconds = 0; seconds <= kLast; seconds += 86400 * 31 + 3607) {
    for (int64_t s : {seconds, seconds + 86399 - seconds % 86400}) {
      UsageRecord record;
      record.mutable_timestamp()->set_seconds(s);
      record.mutable_timestamp()->set_nanos(42'000);
      const std::string expected =
          absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ",
                           absl::FromUnixSeconds(s) + absl::Microseconds(42), absl::UTCTimeZone());
      ASSERT_EQ(Line(record).substr(9, 27), expected) << s;
    }
  }
}

TEST(AccessLogTest, OpenRefusesAPathItCannotCreate) {
  TempDir dir;
  auto log = AccessLog::Open({.path = dir.path() + "/missing/access.log"});
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.status().message().find(dir.path() + "/missing/access.log"), std::string::npos)
      << log.status();
  EXPECT_FALSE(AccessLog::Open({.path = ""}).ok());
}

TEST(AccessLogTest, CreatesTheFileWithoutWorldAccess) {
  TempDir dir;
  const std::string path = dir.path() + "/access.log";
  auto log = MustOpen({.path = path});
  ASSERT_NE(log, nullptr);
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0007, 0u);
  EXPECT_EQ(info.st_mode & 0200, 0200u);
}

TEST(AccessLogTest, FlushesWhenTheBufferFills) {
  TempDir dir;
  const std::string path = dir.path() + "/access.log";
  const size_t line_bytes = Line(NumberedRecord(0)).size();
  // Four lines fill the buffer; the interval never passes during the test.
  auto log =
      MustOpen({.path = path, .buffer_bytes = line_bytes * 4, .flush_interval = absl::Hours(1)});
  ASSERT_NE(log, nullptr);
  for (int i = 0; i < 3; ++i) log->Append(NumberedRecord(i));
  // The first line woke the flusher; once it sleeps again it waits for the buffer to fill, and
  // the append that fills it must wake it.
  ASSERT_TRUE(PollUntil(FlusherIsAsleep, absl::Seconds(5)));
  // Below the size and long before the interval: nothing may be written yet.
  EXPECT_EQ(ReadFile(path), "");
  log->Append(NumberedRecord(3));
  ASSERT_TRUE(PollUntil([&] { return Lines(path).size() == 4; }, absl::Seconds(5)))
      << ReadFile(path);
  const std::vector<std::string> lines = Lines(path);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(RequestIdOf(lines[i]), absl::StrCat("req-", i));
}

TEST(AccessLogTest, FlushesWhenTheIntervalPasses) {
  TempDir dir;
  const std::string path = dir.path() + "/access.log";
  auto log = MustOpen({.path = path, .flush_interval = absl::Milliseconds(200)});
  ASSERT_NE(log, nullptr);
  const absl::Time appended = absl::Now();
  log->Append(FullRecord());
  ASSERT_TRUE(PollUntil([&] { return ReadFile(path) == kFullLine; }, absl::Seconds(5)))
      << ReadFile(path);
  // The flusher waited for the interval rather than writing at once.
  EXPECT_GE(absl::Now() - appended, absl::Milliseconds(150));
  // And again for a line appended after the flusher went back to sleep.
  log->Append(NumberedRecord(1));
  ASSERT_TRUE(PollUntil([&] { return Lines(path).size() == 2; }, absl::Seconds(5)));
}

TEST(AccessLogTest, FlushWritesEverythingAppended) {
  TempDir dir;
  const std::string path = dir.path() + "/access.log";
  auto log = MustOpen({.path = path, .flush_interval = absl::Hours(1)});
  ASSERT_NE(log, nullptr);
  log->Append(FullRecord());
  EXPECT_TRUE(log->Flush().ok());
  EXPECT_EQ(ReadFile(path), kFullLine);
}

TEST(AccessLogTest, AppendsToAnExistingFile) {
  TempDir dir;
  const std::string path = dir.path() + "/access.log";
  std::ofstream(path) << "earlier line\n";
  {
    auto log = MustOpen({.path = path});
    ASSERT_NE(log, nullptr);
    log->Append(FullRecord());
  }
  EXPECT_EQ(ReadFile(path), absl::StrCat("earlier line\n", kFullLine));
}

TEST(AccessLogTest, DestructorFlushes) {
  TempDir dir;
  const std::string path = dir.path() + "/access.log";
  {
    auto log = MustOpen({.path = path, .flush_interval = absl::Hours(1)});
    ASSERT_NE(log, nullptr);
    for (int i = 0; i < 3; ++i) log->Append(NumberedRecord(i));
  }
  EXPECT_EQ(Lines(path).size(), 3u) << ReadFile(path);
}

TEST(AccessLogTest, ReopenAfterRenameWritesToANewFile) {
  TempDir dir;
  const std::string path = dir.path() + "/access.log";
  const std::string rotated = dir.path() + "/access.log.1";
  auto log = MustOpen({.path = path, .flush_interval = absl::Hours(1)});
  ASSERT_NE(log, nullptr);
  log->Append(NumberedRecord(1));
  ASSERT_TRUE(log->Flush().ok());
  std::filesystem::rename(path, rotated);
  // Buffered before the rotation: belongs to the old file.
  log->Append(NumberedRecord(2));
  ASSERT_TRUE(log->Reopen().ok());
  ASSERT_TRUE(std::filesystem::exists(path));
  log->Append(NumberedRecord(3));
  ASSERT_TRUE(log->Flush().ok());

  const std::vector<std::string> old_lines = Lines(rotated);
  ASSERT_EQ(old_lines.size(), 2u);
  EXPECT_EQ(RequestIdOf(old_lines[0]), "req-1");
  EXPECT_EQ(RequestIdOf(old_lines[1]), "req-2");
  const std::vector<std::string> new_lines = Lines(path);
  ASSERT_EQ(new_lines.size(), 1u);
  EXPECT_EQ(RequestIdOf(new_lines[0]), "req-3");
}

TEST(AccessLogTest, FailedReopenKeepsTheOldFile) {
  TempDir dir;
  const std::string subdir = dir.path() + "/logs";
  std::filesystem::create_directory(subdir);
  const std::string path = subdir + "/access.log";
  const std::string moved = dir.path() + "/moved.log";
  auto log = MustOpen({.path = path, .flush_interval = absl::Hours(1)});
  ASSERT_NE(log, nullptr);
  std::filesystem::rename(path, moved);
  std::filesystem::remove(subdir);
  const absl::Status reopened = log->Reopen();
  EXPECT_FALSE(reopened.ok());
  EXPECT_NE(reopened.message().find(path), std::string::npos) << reopened;
  log->Append(FullRecord());
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(ReadFile(moved), kFullLine);
}

TEST(AccessLogTest, LinesBeyondTheCapAreDroppedAndCounted) {
  TempDir dir;
  const std::string path = dir.path() + "/access.log";
  const size_t line_bytes = Line(NumberedRecord(0)).size();
  // Room for two lines and a half: the buffer never reaches its flush size, so nothing is
  // written while the test appends, and the third line onwards is dropped.
  const size_t cap = line_bytes * 2 + line_bytes / 2;
  {
    auto log = MustOpen({.path = path,
                         .buffer_bytes = cap,
                         .flush_interval = absl::Hours(1),
                         .max_buffer_bytes = cap});
    ASSERT_NE(log, nullptr);
    for (int i = 0; i < 10; ++i) log->Append(NumberedRecord(i));
    EXPECT_EQ(log->dropped_lines(), 8u);
    // Room again once the buffer is written.
    ASSERT_TRUE(log->Flush().ok());
    log->Append(NumberedRecord(10));
    EXPECT_EQ(log->dropped_lines(), 8u);
    EXPECT_EQ(log->lost_lines(), 0u);
  }
  const std::vector<std::string> lines = Lines(path);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(RequestIdOf(lines[0]), "req-0");
  EXPECT_EQ(RequestIdOf(lines[1]), "req-1");
  EXPECT_EQ(RequestIdOf(lines[2]), "req-10");
}

TEST(AccessLogTest, WriteErrorsAreCountedNotFatal) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  auto log = MustOpen({.path = "/dev/full", .flush_interval = absl::Hours(1)});
  ASSERT_NE(log, nullptr);
  for (int i = 0; i < 3; ++i) log->Append(NumberedRecord(i));
  const absl::Status flushed = log->Flush();
  EXPECT_FALSE(flushed.ok());
  EXPECT_EQ(log->lost_lines(), 3u);
  log->Append(NumberedRecord(3));
  EXPECT_FALSE(log->Flush().ok());
  EXPECT_EQ(log->lost_lines(), 4u);
  EXPECT_EQ(log->dropped_lines(), 0u);
}

TEST(AccessLogTest, ConcurrentAppendsKeepEveryLineWhole) {
  TempDir dir;
  const std::string path = dir.path() + "/access.log";
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  {
    // A small buffer: many flushes race with the appends.
    auto log = MustOpen({.path = path, .buffer_bytes = 4096});
    ASSERT_NE(log, nullptr);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&log, t] {
        for (int i = 0; i < kPerThread; ++i) log->Append(NumberedRecord(t * kPerThread + i));
      });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(log->dropped_lines(), 0u);
  }
  const std::vector<std::string> lines = Lines(path);
  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kPerThread));
  std::vector<bool> seen(kThreads * kPerThread, false);
  for (const std::string& line : lines) {
    const std::string id = RequestIdOf(line);
    const int n = std::stoi(id.substr(4));
    ASSERT_FALSE(seen[n]) << id;
    seen[n] = true;
  }
}

class RecordingSink final : public UsageSink {
 public:
  void Submit(const UsageRecord& record) override { records.push_back(record); }
  std::vector<UsageRecord> records;
};

TEST(AccessLoggingSinkTest, LogsTheRecordThenPassesItOn) {
  TempDir dir;
  const std::string path = dir.path() + "/access.log";
  auto log = MustOpen({.path = path, .flush_interval = absl::Hours(1)});
  ASSERT_NE(log, nullptr);
  auto next = std::make_shared<RecordingSink>();
  AccessLoggingSink sink(log.get(), next);
  sink.Submit(FullRecord());
  ASSERT_EQ(next->records.size(), 1u);
  EXPECT_EQ(next->records[0].record_id(), FullRecord().record_id());
  EXPECT_EQ(next->records[0].cost_pico_usd(), FullRecord().cost_pico_usd());
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(ReadFile(path), kFullLine);
}

}  // namespace
}  // namespace gw::dp
