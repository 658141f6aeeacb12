#include "tests/fakes/token_count.h"

#include <algorithm>

namespace gw::testing {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

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

}  // namespace

int64_t CountTokens(std::string_view text) {
  int64_t words = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = IsSpace(c);
    if (!in_word && !space) ++words;
    in_word = !space;
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
