// Writing JSON text by hand on hot paths (error bodies, spliced request fields) without a DOM.
//   std::string body = "{\"model\":";  gw::AppendJsonQuoted(model, body);  body += '}';
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace gw {

// Appends `text` as a JSON string literal, quotes included: `"`, `\` and control characters
// are escaped; other bytes are copied as they are.
void AppendJsonQuoted(absl::string_view text, std::string& out);

}  // namespace gw
