#include "common/json_text.h"

#include <array>
#include <bit>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace gw {

namespace {

// Bytes that need escaping: control characters, quote and backslash.
constexpr std::array<bool, 256> kNeedsEscape = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = true;
  table['"'] = true;
  table['\\'] = true;
  return table;
}();

}  // namespace

void AppendJsonQuoted(absl::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t clean_start = 0;
  size_t i = 0;
  for (;;) {
#ifdef __SSE2__
    // Skips 16 clean bytes at a time; answers are mostly plain text.
    const __m128i control_max = _mm_set1_epi8(0x1f);
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    while (i + 16 <= text.size()) {
      const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
      const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(bytes, control_max), control_max);
      const __m128i special = _mm_or_si128(
          control, _mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)));
      const int mask = _mm_movemask_epi8(special);
      if (mask != 0) {
        i += static_cast<size_t>(std::countr_zero(static_cast<unsigned>(mask)));
        break;
      }
      i += 16;
    }
#endif
    while (i < text.size() && !kNeedsEscape[static_cast<unsigned char>(text[i])]) ++i;
    if (i >= text.size()) break;
    const auto c = static_cast<unsigned char>(text[i]);
    out.append(text.data() + clean_start, i - clean_start);
    clean_start = i + 1;
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default: {
        const char escaped[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
        out.append(escaped, sizeof escaped);
      }
    }
    ++i;
  }
  out.append(text.data() + clean_start, text.size() - clean_start);
  out.push_back('"');
}

}  // namespace gw
