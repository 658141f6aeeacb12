#include "tests/fakes/token_count.h"

#include <algorithm>
#include <array>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace gw::testing {
namespace {

// A table lookup instead of six comparisons: token counting runs over every prompt and answer.
constexpr std::array<bool, 256> kSpace = [] {
  std::array<bool, 256> table{};
  for (unsigned char c : {' ', '\t', '\n', '\r', '\f', '\v'}) table[c] = true;
  return table;
}();

bool IsSpace(char c) { return kSpace[static_cast<unsigned char>(c)]; }

// Offsets just past the end of each word.
std::vector<size_t> WordEnds(std::string_view text) {
  std::vector<size_t> ends;
  bool in_word = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool space = IsSpace(text[i]);
    if (in_word && space) ends.push_back(i);
    in_word = !space;
  }
  if (in_word) ends.push_back(text.size());
  return ends;
}

#ifdef __SSE2__
// Baseline x86-64 has no popcnt instruction; std::popcount would call into libgcc.
int PopCount16(uint32_t x) {
  x = x - ((x >> 1) & 0x5555u);
  x = (x & 0x3333u) + ((x >> 2) & 0x3333u);
  x = (x + (x >> 4)) & 0x0f0fu;
  return static_cast<int>((x + (x >> 8)) & 0x1fu);
}
#endif

}  // namespace

int64_t CountTokens(std::string_view text) {
  // Counts word starts: a non-space after a space (or at the start of the text).
  int64_t words = 0;
  bool previous_space = true;
  size_t i = 0;
#ifdef __SSE2__
  // 16 bytes at a time: prompts and answers are counted on every request of a benchmark.
  const __m128i tab = _mm_set1_epi8('\t');
  const __m128i range = _mm_set1_epi8('\r' - '\t');
  const __m128i blank = _mm_set1_epi8(' ');
  for (; i + 16 <= text.size(); i += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
    // \t..\r: (byte - '\t') <= 4 unsigned, i.e. min(byte - '\t', 4) == byte - '\t'.
    const __m128i shifted = _mm_sub_epi8(bytes, tab);
    const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(shifted, range), shifted);
    const __m128i space = _mm_or_si128(control, _mm_cmpeq_epi8(bytes, blank));
    const auto space_mask = static_cast<uint32_t>(_mm_movemask_epi8(space));
    const uint32_t before_mask = (space_mask << 1) | (previous_space ? 1u : 0u);
    words += PopCount16(~space_mask & before_mask & 0xffffu);
    previous_space = (space_mask >> 15) & 1u;
  }
#endif
  for (char c : text.substr(i)) {
    const bool space = IsSpace(c);
    words += static_cast<int64_t>(previous_space & !space);
    previous_space = space;
  }
  return words;
}

std::string_view TruncateToTokens(std::string_view text, int64_t max_tokens) {
  if (max_tokens <= 0) return text.substr(0, 0);
  int64_t words = 0;
  bool in_word = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool space = IsSpace(text[i]);
    if (in_word && space && words == max_tokens) return text.substr(0, i);
    if (!in_word && !space) ++words;
    in_word = !space;
  }
  return text;
}

std::vector<std::string_view> SplitIntoPieces(std::string_view text, int64_t pieces) {
  const std::vector<size_t> ends = WordEnds(text);
  const int64_t words = static_cast<int64_t>(ends.size());
  std::vector<std::string_view> out;
  if (pieces <= 0) {
    if (words == 0) return out;
    pieces = words;
  }
  out.reserve(static_cast<size_t>(pieces));
  const int64_t base = words / pieces;
  const int64_t extra = words % pieces;
  size_t start = 0;
  int64_t word_index = 0;
  for (int64_t p = 0; p < pieces; ++p) {
    const int64_t take = base + (p < extra ? 1 : 0);
    word_index += take;
    size_t end = word_index == 0 ? 0 : ends[static_cast<size_t>(word_index - 1)];
    if (p == pieces - 1) end = text.size();
    end = std::max(end, start);
    out.push_back(text.substr(start, end - start));
    start = end;
  }
  return out;
}

}  // namespace gw::testing
