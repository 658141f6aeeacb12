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

// Length of the well-formed UTF-8 sequence starting at in[i] (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), or 0 when there is none.
size_t Utf8SequenceLength(absl::string_view in, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(in[k]); };
  const unsigned char lead = byte(i);
  size_t length = 0;
  unsigned char low = 0x80, high = 0xbf;  // Allowed range of the second byte.
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;
    if (lead == 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;
    if (lead == 0xf4) high = 0x8f;
  } else {
    return 0;
  }
  if (i + length > in.size() || byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (size_t k = i + 2; k < i + length; ++k) {
    if (byte(k) < 0x80 || byte(k) > 0xbf) return 0;
  }
  return length;
}

// JSON string contents; bytes that are not UTF-8 (a client's model name, say) become U+FFFD so
// that every line stays valid JSON.
void AppendJsonEscaped(absl::string_view in, spdlog::memory_buf_t& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
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
        } else if (static_cast<unsigned char>(c) < 0x80) {
          out.push_back(c);
        } else if (const size_t length = Utf8SequenceLength(in, i); length > 0) {
          out.append(in.data() + i, in.data() + i + length);
          i += length - 1;
        } else {
          out.append(absl::string_view("\\ufffd"));
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
  // spdlog's registry throws when a name is registered twice; a second call (tests, or a
  // binary that re-initialises after parsing flags) replaces the logger instead.
  spdlog::drop(std::string(program));
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
