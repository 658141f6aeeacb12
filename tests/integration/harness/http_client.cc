#include "tests/integration/harness/http_client.h"

#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"

namespace gw::testing {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

absl::StatusOr<HttpResponse> HttpRequest(const std::string& address, const std::string& method,
                                         const std::string& target,
                                         const std::map<std::string, std::string>& headers,
                                         const std::string& body, absl::Duration timeout) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return absl::InvalidArgumentError("address needs host:port");
  const std::string host = address.substr(0, colon);
  uint16_t port = 0;
  uint32_t port_value = 0;
  if (!absl::SimpleAtoi(address.substr(colon + 1), &port_value) || port_value > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("bad port in ", address));
  }
  port = static_cast<uint16_t>(port_value);

  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::microseconds(absl::ToInt64Microseconds(timeout)));
  beast::error_code ec;
  stream.connect(tcp::endpoint(boost::asio::ip::make_address(host, ec), port), ec);
  if (ec) return absl::UnavailableError(absl::StrCat("connect ", address, ": ", ec.message()));

  http::request<http::string_body> request(http::string_to_verb(method), target, 11);
  request.set(http::field::host, address);
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  if (!body.empty() || method == "POST") request.prepare_payload();
  http::write(stream, request, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("write: ", ec.message()));

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  http::read(stream, buffer, parser, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("read: ", ec.message()));
  const auto& message = parser.get();

  HttpResponse response;
  response.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    response.headers[absl::AsciiStrToLower(std::string(field.name_string()))] =
        std::string(field.value());
  }
  response.body = message.body();
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return response;
}

}  // namespace gw::testing
