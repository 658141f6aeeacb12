#include "common/logging.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "spdlog/formatter.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace gw {
namespace {

void AppendJsonEscaped(absl::string_view in, spdlog::memory_buf_t& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : in) {
    switch (c) {
      case '"': out.append(absl::string_view("\\\"")); break;
      case '\\': out.append(absl::string_view("\\\\")); break;
      case '\n': out.append(absl::string_view("\\n")); break;
      case '\r': out.append(absl::string_view("\\r")); break;
      case '\t': out.append(absl::string_view("\\t")); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          const char escaped[] = {'\\', 'u', '0', '0', kHex[(c >> 4) & 0xf], kHex[c & 0xf]};
          out.append(escaped, escaped + sizeof escaped);
        } else {
          out.push_back(c);
        }
    }
  }
}

// {"ts":"2026-11-25T17:55:32.123456Z","level":"info","logger":"gw-control-plane","msg":"..."}
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const absl::Time time = absl::FromChrono(msg.time);
    const std::string ts = absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone());
    const auto level = spdlog::level::to_string_view(msg.level);
    dest.append(absl::string_view("{\"ts\":\""));
    dest.append(ts);
    dest.append(absl::string_view("\",\"level\":\""));
    dest.append(level.data(), level.data() + level.size());
    dest.append(absl::string_view("\",\"logger\":\""));
    AppendJsonEscaped(absl::string_view(msg.logger_name.data(), msg.logger_name.size()), dest);
    dest.append(absl::string_view("\",\"msg\":\""));
    AppendJsonEscaped(absl::string_view(msg.payload.data(), msg.payload.size()), dest);
    dest.append(absl::string_view("\"}\n"));
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

absl::Status InitLogging(absl::string_view format, absl::string_view program) {
  std::shared_ptr<spdlog::logger> logger;
  if (format == "json") {
    logger = spdlog::stderr_logger_mt(std::string(program));
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else if (format == "text") {
    logger = spdlog::stderr_color_mt(std::string(program));
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ %n: %v", spdlog::pattern_time_type::utc);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown log format '", format, "' (expected text or json)"));
  }
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
  return absl::OkStatus();
}

}  // namespace gw
