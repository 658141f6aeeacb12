// Substring search for the per-event hot paths of streaming (a stream has hundreds of events):
// glibc's memmem instead of string_view::find, which compares at every occurrence of the needle's
// first byte, and in JSON searched for "\"key\"" that is every quote.
//   if (FindText(event.data, "\"usage\"") != absl::string_view::npos) { ... }
#pragma once

#include <cstddef>

#include "absl/strings/string_view.h"

namespace gw::dp {

// The offset of the first `needle` in `text` at or after `from`, or npos. An empty needle is
// found at `from` (as string_view::find does).
size_t FindText(absl::string_view text, absl::string_view needle, size_t from = 0);

}  // namespace gw::dp
