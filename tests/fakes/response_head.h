// The status line and headers of every fake provider response, written by hand for speed.
//   AppendResponseHead(out, 200, "application/json", body.size(), "", /*close=*/false);
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gw::testing {

// `content_length` nullopt means "Transfer-Encoding: chunked". `extra_headers` is zero or more
// complete "Name: value\r\n" lines. Adds an OpenAI-style x-request-id.
void AppendResponseHead(std::string& out, int status, std::string_view content_type,
                        std::optional<size_t> content_length, std::string_view extra_headers,
                        bool close);

// One HTTP/1.1 chunk: hex size, CRLF, data, CRLF.
void AppendHttpChunk(std::string& out, std::string_view data);

inline constexpr std::string_view kLastHttpChunk = "0\r\n\r\n";

}  // namespace gw::testing
