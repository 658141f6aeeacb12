#include "tests/fakes/json_text.h"

#include <charconv>

#include "common/json_text.h"

namespace gw::testing {

void AppendJsonString(std::string& out, std::string_view text) {
  AppendJsonQuoted(absl::string_view(text.data(), text.size()), out);
}

void AppendInt(std::string& out, int64_t value) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

void AppendFloat(std::string& out, float value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

}  // namespace gw::testing
