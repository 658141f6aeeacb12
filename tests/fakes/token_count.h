// The fake provider's deterministic token rule: one token per whitespace-separated word.
// Tests compute expected usage with the same rule:  CountTokens("Say hi  twice") == 3.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace gw::testing {

// Words are maximal runs of characters other than ASCII space, \t, \n, \r, \f and \v.
int64_t CountTokens(std::string_view text);

// The prefix of `text` that ends with its `max_tokens`-th word (all of `text` when it has no
// more words than that). Trailing whitespace after the last kept word is dropped.
std::string_view TruncateToTokens(std::string_view text, int64_t max_tokens);

// Splits `text` into `pieces` consecutive parts whose concatenation is `text`, each holding as
// even a share of the words as possible (earlier parts get the remainder); parts beyond the word
// count are empty. `pieces` == 0 means one part per word (none for text without words). A part
// starts after the previous part's last word, so it carries the whitespace before its words.
std::vector<std::string_view> SplitIntoPieces(std::string_view text, int64_t pieces);

}  // namespace gw::testing
