// Hand-built JSON for the fake provider's hot path, where a Boost.JSON round trip per response
// would cost more than the HTTP work:  AppendJsonString(out, "a \"quoted\" word");
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gw::testing {

// gw::AppendJsonQuoted (common/json_text.h) for the fake's std::string_view callers.
void AppendJsonString(std::string& out, std::string_view text);

void AppendInt(std::string& out, int64_t value);

// Shortest representation that reads back to the same float.
void AppendFloat(std::string& out, float value);

}  // namespace gw::testing
