// Logging setup: --log-format json must give one valid JSON object per line whatever the message
// holds, and text must stay readable. Output is captured by pointing fd 2 at a file.
#include "common/logging.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "boost/json/parse.hpp"
#include "boost/json/value.hpp"
#include "gtest/gtest.h"
#include "spdlog/spdlog.h"
#include "tests/integration/harness/status_testing.h"
#include "tests/integration/harness/temp_dir.h"

namespace gw {
namespace {

// Sends everything written to stderr into a file until Finish().
class StderrCapture {
 public:
  explicit StderrCapture(std::string path) : path_(std::move(path)) {
    std::fflush(stderr);
    saved_fd_ = dup(STDERR_FILENO);
    const int file = open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    EXPECT_GE(file, 0);
    dup2(file, STDERR_FILENO);
    close(file);
  }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;
  ~StderrCapture() { Restore(); }

  std::string Finish() {
    Restore();
    absl::StatusOr<std::string> text = testing::ReadFile(path_);
    return text.ok() ? *text : std::string();
  }

 private:
  void Restore() {
    if (saved_fd_ < 0) return;
    spdlog::default_logger()->flush();
    std::fflush(stderr);
    dup2(saved_fd_, STDERR_FILENO);
    close(saved_fd_);
    saved_fd_ = -1;
  }

  std::string path_;
  int saved_fd_ = -1;
};

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

TEST(LoggingTest, JsonLinesAreValidJsonWhateverTheMessageHolds) {
  GW_ASSERT_OK_AND_ASSIGN(testing::TempDir dir, testing::TempDir::Create());
  const std::vector<std::string> messages = {"plain",
                                             "with \"quotes\"",
                                             "two\nlines",
                                             "back\\slash",
                                             "tab\there",
                                             "cr\rhere",
                                             std::string("nul\0byte", 8),
                                             "ctrl\x01\x1f",
                                             "braces {} and {0}",
                                             "naïve 团队 ✓ 😀",
                                             "del\x7f"};
  StderrCapture capture(dir.Path("stderr"));
  GW_ASSERT_OK(InitLogging("json", "gw-json-test"));
  for (const std::string& message : messages) spdlog::info("{}", message);
  spdlog::error("failed");
  const std::string output = capture.Finish();

  const std::vector<std::string> lines = Lines(output);
  ASSERT_EQ(lines.size(), messages.size() + 1) << output;
  const std::regex timestamp(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)");
  for (size_t i = 0; i < lines.size(); ++i) {
    boost::system::error_code error;
    boost::json::value value = boost::json::parse(lines[i], error);
    ASSERT_FALSE(error) << "line " << i << " is not JSON: " << lines[i];
    ASSERT_TRUE(value.is_object()) << lines[i];
    const boost::json::object& object = value.as_object();
    ASSERT_TRUE(object.contains("ts") && object.contains("level") && object.contains("logger") &&
                object.contains("msg"))
        << lines[i];
    EXPECT_TRUE(std::regex_match(std::string(object.at("ts").as_string()), timestamp)) << lines[i];
    EXPECT_EQ(object.at("logger").as_string(), "gw-json-test");
    const std::string msg(object.at("msg").as_string());
    if (i < messages.size()) {
      EXPECT_EQ(object.at("level").as_string(), "info");
      EXPECT_EQ(msg, messages[i]);
    } else {
      EXPECT_EQ(object.at("level").as_string(), "error");
      EXPECT_EQ(msg, "failed");
    }
  }
}

TEST(LoggingTest, JsonLinesStayValidWithInvalidUtf8) {
  GW_ASSERT_OK_AND_ASSIGN(testing::TempDir dir, testing::TempDir::Create());
  StderrCapture capture(dir.Path("stderr"));
  GW_ASSERT_OK(InitLogging("json", "gw-json-test"));
  spdlog::warn("model '{}' not found", std::string("bad\xff\xfe\xc3(tail"));
  const std::string output = capture.Finish();
  const std::vector<std::string> lines = Lines(output);
  ASSERT_EQ(lines.size(), 1u) << output;
  boost::system::error_code error;
  boost::json::value value = boost::json::parse(lines[0], error);
  ASSERT_FALSE(error) << lines[0];
  const std::string msg(value.as_object().at("msg").as_string());
  EXPECT_TRUE(absl::StartsWith(msg, "model 'bad")) << msg;
  EXPECT_TRUE(absl::EndsWith(msg, "(tail' not found")) << msg;
  EXPECT_TRUE(absl::StrContains(msg, "\xef\xbf\xbd")) << msg;  // U+FFFD stands in.
}

TEST(LoggingTest, MalformedUtf8SequencesAreReplaced) {
  GW_ASSERT_OK_AND_ASSIGN(testing::TempDir dir, testing::TempDir::Create());
  const std::vector<std::string> malformed = {
      "\xc0\xaf",          // Overlong '/'.
      "\xed\xa0\x80",      // A UTF-16 surrogate.
      "\xf4\x90\x80\x80",  // Above U+10FFFF.
      "\xe2\x82",          // Truncated at the end.
      "\x80",              // A lone continuation byte.
  };
  StderrCapture capture(dir.Path("stderr"));
  GW_ASSERT_OK(InitLogging("json", "gw-json-test"));
  for (const std::string& bytes : malformed) spdlog::info("[{}]", bytes);
  const std::vector<std::string> lines = Lines(capture.Finish());
  ASSERT_EQ(lines.size(), malformed.size());
  for (const std::string& line : lines) {
    boost::system::error_code error;
    boost::json::value value = boost::json::parse(line, error);
    ASSERT_FALSE(error) << line;
    const std::string msg(value.as_object().at("msg").as_string());
    EXPECT_TRUE(absl::StartsWith(msg, "[\xef\xbf\xbd")) << line;
    EXPECT_TRUE(absl::EndsWith(msg, "\xef\xbf\xbd]")) << line;
  }
}

TEST(LoggingTest, TextFormatIsOneReadableLine) {
  GW_ASSERT_OK_AND_ASSIGN(testing::TempDir dir, testing::TempDir::Create());
  StderrCapture capture(dir.Path("stderr"));
  GW_ASSERT_OK(InitLogging("text", "gw-text-test"));
  spdlog::info("listening grpc on {}", "127.0.0.1:7070");
  const std::string output = capture.Finish();
  const std::vector<std::string> lines = Lines(output);
  ASSERT_EQ(lines.size(), 1u) << output;
  EXPECT_TRUE(std::regex_match(
      lines[0], std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z info gw-text-test: )"
                           R"(listening grpc on 127\.0\.0\.1:7070)")))
      << lines[0];
}

TEST(LoggingTest, InitTwiceWithTheSameProgramReplacesTheLogger) {
  GW_ASSERT_OK_AND_ASSIGN(testing::TempDir dir, testing::TempDir::Create());
  StderrCapture capture(dir.Path("stderr"));
  GW_ASSERT_OK(InitLogging("text", "gw-twice"));
  GW_ASSERT_OK(InitLogging("json", "gw-twice"));
  spdlog::info("once");
  const std::string output = capture.Finish();
  ASSERT_EQ(Lines(output).size(), 1u) << output;
  EXPECT_TRUE(absl::StartsWith(output, "{")) << output;
}

TEST(LoggingTest, UnknownFormatIsRejected) {
  absl::Status status = InitLogging("xml", "gw-bad");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(status.message(), "xml")) << status;
}

}  // namespace
}  // namespace gw
