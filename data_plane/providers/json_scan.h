// A validating scanner for JSON request and response bodies that does not build a DOM: it checks
// the whole text is one JSON object (RFC 8259, UTF-8) and records where each top-level member's
// key and value sit, so the gateway reads the few fields it needs and splices changes in by byte
// range, leaving every other byte as the client sent it (no number re-formatting, no copies).
//   JsonObjectScan scan;
//   GW_RETURN_IF_ERROR(ScanJsonObject(body, scan));
//   if (const JsonMember* model = scan.Find("model")) { ... model->value(body) ... }
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace gw::dp {

enum class JsonType { kObject, kArray, kString, kNumber, kTrue, kFalse, kNull };

struct JsonMember {
  absl::string_view raw_key;  // Between the quotes, escapes as written.
  bool key_has_escapes = false;
  size_t key_begin = 0;    // Offset of the key's opening quote.
  size_t value_begin = 0;  // Offset of the value's first byte.
  size_t value_end = 0;    // One past the value's last byte.
  JsonType type = JsonType::kNull;

  absl::string_view value(absl::string_view text) const {
    return text.substr(value_begin, value_end - value_begin);
  }
};

struct JsonObjectScan {
  size_t open_brace = 0;  // Offsets of the object's braces.
  size_t close_brace = 0;
  absl::InlinedVector<JsonMember, 16> members;  // In text order.

  // The member a JSON parser would keep for `key` (the last one with that name), or nullptr.
  const JsonMember* Find(absl::string_view key) const;
};

// INVALID_ARGUMENT unless `text` is exactly one JSON object (surrounding whitespace allowed).
// Nesting deeper than `max_depth` is refused.
absl::Status ScanJsonObject(absl::string_view text, JsonObjectScan& scan, int max_depth = 256);

// Whether the raw text of a key (between its quotes) decodes to `plain`.
bool JsonKeyEquals(absl::string_view raw_key, bool has_escapes, absl::string_view plain);

// The integer a JSON number value holds, when it is an integer that fits (also "12.0" or "1e3"
// are not accepted: token counts are plain integers).
std::optional<int64_t> JsonInteger(absl::string_view value);

// The decoded content of a JSON string value (quotes included in `value`); nullopt when `value`
// is not a valid string.
std::optional<std::string> JsonStringValue(absl::string_view value);

}  // namespace gw::dp
