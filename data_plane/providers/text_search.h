// Substring search for per-event hot paths: glibc's memmem, where string_view::find compares at
// every occurrence of the needle's first byte (every quote, when the needle is a quoted JSON key).
//   if (FindText(event.data, "\"usage\"") != absl::string_view::npos) { ... }
#pragma once

#include <cstddef>

#include "absl/strings/string_view.h"

namespace gw::dp {

// The offset of the first `needle` in `text` at or after `from`, or npos. An empty needle is
// found at `from` (as string_view::find does).
size_t FindText(absl::string_view text, absl::string_view needle, size_t from = 0);

}  // namespace gw::dp
