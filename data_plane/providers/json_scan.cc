#include "data_plane/providers/json_scan.h"

#include <bit>
#include <charconv>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "absl/strings/str_cat.h"

namespace gw::dp {
namespace {

bool IsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Recursive descent over the text; positions are offsets so errors can name them.
class Scanner {
 public:
  Scanner(absl::string_view text, int max_depth) : text_(text), max_depth_(max_depth) {}

  absl::Status ScanTopLevel(JsonObjectScan& scan) {
    SkipWhitespace();
    if (pos_ >= text_.size() || text_[pos_] != '{') return Error("expected a JSON object");
    scan.members.clear();
    scan.open_brace = pos_;
    ++pos_;
    SkipWhitespace();
    if (Peek() == '}') {
      scan.close_brace = pos_++;
    } else {
      while (true) {
        JsonMember member;
        SkipWhitespace();
        member.key_begin = pos_;
        if (Peek() != '"') return Error("expected a member name");
        const size_t key_content = pos_ + 1;
        if (!ScanString(&member.key_has_escapes)) return Error("invalid member name");
        member.raw_key = text_.substr(key_content, pos_ - 1 - key_content);
        SkipWhitespace();
        if (Peek() != ':') return Error("expected ':'");
        ++pos_;
        SkipWhitespace();
        member.value_begin = pos_;
        if (!ScanValue(1, &member.type)) return Error("invalid value");
        member.value_end = pos_;
        scan.members.push_back(member);
        SkipWhitespace();
        if (Peek() == ',') {
          ++pos_;
          continue;
        }
        if (Peek() == '}') {
          scan.close_brace = pos_++;
          break;
        }
        return Error("expected ',' or '}'");
      }
    }
    SkipWhitespace();
    if (pos_ != text_.size()) return Error("unexpected text after the object");
    return absl::OkStatus();
  }

 private:
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  void SkipWhitespace() {
    while (pos_ < text_.size() && IsWhitespace(text_[pos_])) ++pos_;
  }

  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("malformed JSON at byte ", pos_, ": ", what));
  }

  bool ScanValue(int depth, JsonType* type) {
    switch (Peek()) {
      case '{':
        *type = JsonType::kObject;
        return ScanObject(depth);
      case '[':
        *type = JsonType::kArray;
        return ScanArray(depth);
      case '"':
        *type = JsonType::kString;
        return ScanString(nullptr);
      case 't':
        *type = JsonType::kTrue;
        return ScanLiteral("true");
      case 'f':
        *type = JsonType::kFalse;
        return ScanLiteral("false");
      case 'n':
        *type = JsonType::kNull;
        return ScanLiteral("null");
      default:
        *type = JsonType::kNumber;
        return ScanNumber();
    }
  }

  bool ScanLiteral(absl::string_view literal) {
    if (text_.substr(pos_, literal.size()) != literal) return false;
    pos_ += literal.size();
    return true;
  }

  bool ScanNumber() {
    if (Peek() == '-') ++pos_;
    if (Peek() == '0') {
      ++pos_;
    } else if (IsDigit(Peek())) {
      while (IsDigit(Peek())) ++pos_;
    } else {
      return false;
    }
    if (Peek() == '.') {
      ++pos_;
      if (!IsDigit(Peek())) return false;
      while (IsDigit(Peek())) ++pos_;
    }
    if (Peek() == 'e' || Peek() == 'E') {
      ++pos_;
      if (Peek() == '+' || Peek() == '-') ++pos_;
      if (!IsDigit(Peek())) return false;
      while (IsDigit(Peek())) ++pos_;
    }
    return true;
  }

  // At the opening quote; leaves pos_ after the closing one.
  bool ScanString(bool* has_escapes) {
    ++pos_;
    while (pos_ < text_.size()) {
      SkipPlainAscii();
      if (pos_ >= text_.size()) break;
      const unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\\') {
        if (has_escapes != nullptr) *has_escapes = true;
        ++pos_;
        const char e = Peek();
        if (e == 'u') {
          for (int i = 1; i <= 4; ++i) {
            if (pos_ + i >= text_.size() || HexValue(text_[pos_ + i]) < 0) return false;
          }
          pos_ += 5;
        } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                   e == 'r' || e == 't') {
          ++pos_;
        } else {
          return false;
        }
      } else if (c < 0x20) {
        return false;
      } else if (c < 0x80) {
        ++pos_;
      } else if (!ScanUtf8Sequence()) {
        return false;
      }
    }
    return false;
  }

  // Skips, 16 at a time, bytes that need no look: printable ASCII other than quote and
  // backslash. String contents are most of a request's and a response's bytes.
  void SkipPlainAscii() {
#ifdef __SSE2__
    const __m128i control_max = _mm_set1_epi8(0x1f);
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    while (pos_ + 16 <= text_.size()) {
      const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text_.data() + pos_));
      const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(bytes, control_max), control_max);
      const __m128i special = _mm_or_si128(
          control, _mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)));
      // The high bit of each byte: non-ASCII, which the UTF-8 check must see.
      const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(special)) |
                            static_cast<unsigned>(_mm_movemask_epi8(bytes));
      if (mask != 0) {
        pos_ += static_cast<size_t>(std::countr_zero(mask));
        return;
      }
      pos_ += 16;
    }
#endif
  }

  // A well-formed UTF-8 sequence (no overlongs, no surrogates, at most U+10FFFF).
  bool ScanUtf8Sequence() {
    const auto byte = [&](size_t i) -> unsigned {
      return pos_ + i < text_.size() ? static_cast<unsigned char>(text_[pos_ + i]) : 0u;
    };
    const auto continuation = [&](size_t i) { return (byte(i) & 0xC0u) == 0x80u; };
    const unsigned lead = byte(0);
    if (lead >= 0xC2 && lead <= 0xDF) {
      if (!continuation(1)) return false;
      pos_ += 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      const unsigned second = byte(1);
      if (!continuation(1) || !continuation(2)) return false;
      if (lead == 0xE0 && second < 0xA0) return false;  // Overlong.
      if (lead == 0xED && second > 0x9F) return false;  // Surrogate.
      pos_ += 3;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      const unsigned second = byte(1);
      if (!continuation(1) || !continuation(2) || !continuation(3)) return false;
      if (lead == 0xF0 && second < 0x90) return false;  // Overlong.
      if (lead == 0xF4 && second > 0x8F) return false;  // Beyond U+10FFFF.
      pos_ += 4;
    } else {
      return false;
    }
    return true;
  }

  bool ScanArray(int depth) {
    if (depth > max_depth_) return false;
    ++pos_;
    SkipWhitespace();
    if (Peek() == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipWhitespace();
      JsonType type;
      if (!ScanValue(depth + 1, &type)) return false;
      SkipWhitespace();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == ']') {
        ++pos_;
        return true;
      }
      return false;
    }
  }

  bool ScanObject(int depth) {
    if (depth > max_depth_) return false;
    ++pos_;
    SkipWhitespace();
    if (Peek() == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipWhitespace();
      if (Peek() != '"' || !ScanString(nullptr)) return false;
      SkipWhitespace();
      if (Peek() != ':') return false;
      ++pos_;
      SkipWhitespace();
      JsonType type;
      if (!ScanValue(depth + 1, &type)) return false;
      SkipWhitespace();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == '}') {
        ++pos_;
        return true;
      }
      return false;
    }
  }

  absl::string_view text_;
  int max_depth_;
  size_t pos_ = 0;
};

// Decodes one \uXXXX escape at `raw[i]` == 'u'; returns the code unit or -1.
int DecodeHex4(absl::string_view raw, size_t i) {
  if (i + 4 >= raw.size()) return -1;
  int value = 0;
  for (size_t k = 1; k <= 4; ++k) {
    const int digit = HexValue(raw[i + k]);
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

void AppendUtf8(uint32_t code_point, std::string& out) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

// Decodes the content between a string's quotes (already validated by the scanner, but checked
// again since callers may pass anything).
std::optional<std::string> Unescape(absl::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i >= raw.size()) return std::nullopt;
    switch (raw[i]) {
      case '"':
        out.push_back('"');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case '/':
        out.push_back('/');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'u': {
        int unit = DecodeHex4(raw, i);
        if (unit < 0) return std::nullopt;
        i += 4;
        uint32_t code_point = static_cast<uint32_t>(unit);
        if (unit >= 0xD800 && unit <= 0xDBFF && i + 2 < raw.size() && raw[i + 1] == '\\' &&
            raw[i + 2] == 'u') {
          const int low = DecodeHex4(raw, i + 2);
          if (low >= 0xDC00 && low <= 0xDFFF) {
            code_point = 0x10000 + ((static_cast<uint32_t>(unit) - 0xD800) << 10) +
                         (static_cast<uint32_t>(low) - 0xDC00);
            i += 6;
          }
        }
        AppendUtf8(code_point, out);
        break;
      }
      default:
        return std::nullopt;
    }
  }
  return out;
}

}  // namespace

const JsonMember* JsonObjectScan::Find(absl::string_view key) const {
  for (auto it = members.rbegin(); it != members.rend(); ++it) {
    if (JsonKeyEquals(it->raw_key, it->key_has_escapes, key)) return &*it;
  }
  return nullptr;
}

absl::Status ScanJsonObject(absl::string_view text, JsonObjectScan& scan, int max_depth) {
  return Scanner(text, max_depth).ScanTopLevel(scan);
}

bool JsonKeyEquals(absl::string_view raw_key, bool has_escapes, absl::string_view plain) {
  if (!has_escapes) return raw_key == plain;
  const std::optional<std::string> decoded = Unescape(raw_key);
  return decoded && *decoded == plain;
}

std::optional<int64_t> JsonInteger(absl::string_view value) {
  int64_t result = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), result);
  if (error != std::errc() || end != value.data() + value.size() || value.empty()) {
    return std::nullopt;
  }
  return result;
}

std::optional<std::string> JsonStringValue(absl::string_view value) {
  if (value.size() < 2 || value.front() != '"' || value.back() != '"') return std::nullopt;
  return Unescape(value.substr(1, value.size() - 2));
}

}  // namespace gw::dp
