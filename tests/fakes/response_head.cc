#include "tests/fakes/response_head.h"

#include <charconv>
#include <random>

#include "tests/fakes/json_text.h"

namespace gw::testing {
namespace {

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return status < 300 ? "OK" : status < 500 ? "Client Error" : "Server Error";
  }
}

void AppendRequestId(std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  thread_local uint64_t counter =
      (uint64_t{std::random_device{}()} << 32) ^ uint64_t { std::random_device{}() };
  uint64_t x = counter += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  x ^= x >> 31;
  out.append("x-request-id: req_");
  for (int i = 0; i < 16; ++i) out.push_back(kHex[(x >> (i * 4)) & 0xf]);
  out.append("\r\n");
}

}  // namespace

void AppendResponseHead(std::string& out, int status, std::string_view content_type,
                        std::optional<size_t> content_length, std::string_view extra_headers,
                        bool close) {
  out.append("HTTP/1.1 ");
  AppendInt(out, status);
  out.push_back(' ');
  out.append(ReasonPhrase(status));
  out.append("\r\nServer: gw-fake-provider\r\nContent-Type: ");
  out.append(content_type);
  if (content_length) {
    out.append("\r\nContent-Length: ");
    AppendInt(out, static_cast<int64_t>(*content_length));
    out.append("\r\n");
  } else {
    out.append("\r\nTransfer-Encoding: chunked\r\nCache-Control: no-cache\r\n");
  }
  out.append("openai-version: 2020-10-01\r\n");
  AppendRequestId(out);
  out.append(extra_headers);
  if (close) out.append("Connection: close\r\n");
  out.append("\r\n");
}

void AppendHttpChunk(std::string& out, std::string_view data) {
  char size[20];
  const auto result = std::to_chars(size, size + sizeof size, data.size(), 16);
  out.append(size, result.ptr);
  out.append("\r\n");
  out.append(data);
  out.append("\r\n");
}

}  // namespace gw::testing
