#include "data_plane/providers/text_search.h"

#include <string.h>

namespace gw::dp {

size_t FindText(absl::string_view text, absl::string_view needle, size_t from) {
  if (from > text.size()) return absl::string_view::npos;
  if (needle.empty()) return from;
  if (needle.size() > text.size() - from) return absl::string_view::npos;
  const void* found = memmem(text.data() + from, text.size() - from, needle.data(), needle.size());
  if (found == nullptr) return absl::string_view::npos;
  return static_cast<size_t>(static_cast<const char*>(found) - text.data());
}

}  // namespace gw::dp
