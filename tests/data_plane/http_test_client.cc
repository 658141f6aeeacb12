#include "http_test_client.h"

#include <sys/socket.h>
#include <sys/time.h>

#include "boost/beast/http/read.hpp"
#include "boost/beast/http/write.hpp"
#include "boost/json/parse.hpp"

namespace gw::testing {
namespace http = boost::beast::http;
using boost::asio::ip::tcp;

std::string HttpReply::header(const std::string& name) const {
  auto it = message.find(name);
  return it == message.end() ? std::string() : std::string(it->value());
}

boost::json::value HttpReply::json() const {
  boost::system::error_code parse_error;
  boost::json::value value = boost::json::parse(message.body(), parse_error);
  return parse_error ? boost::json::value() : value;
}

HttpTestClient::HttpTestClient(uint16_t port) : socket_(io_) {
  boost::system::error_code error;
  socket_.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port), error);
  if (error) {
    connect_error_ = error.message();
    return;
  }
  // A test must fail, not hang, when the server never answers.
  timeval timeout{10, 0};
  setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
}

HttpReply HttpTestClient::Send(http::verb method, const std::string& target, const Headers& headers,
                               const std::string& body) {
  HttpReply reply;
  if (!connect_error_.empty()) {
    reply.error = "connect: " + connect_error_;
    return reply;
  }
  http::request<http::string_body> request(method, target, 11);
  request.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) request.set(name, value);
  if (!body.empty() || method == http::verb::post) {
    request.body() = body;
    request.prepare_payload();
  }
  boost::system::error_code error;
  http::write(socket_, request, error);
  if (error) {
    reply.error = "write: " + error.message();
    return reply;
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  http::read(socket_, buffer_, parser, error);
  if (error) {
    reply.error = "read: " + error.message();
    return reply;
  }
  reply.message = parser.release();
  reply.ok = true;
  return reply;
}

bool HttpTestClient::ServerClosed() {
  char byte;
  boost::system::error_code error;
  socket_.read_some(boost::asio::buffer(&byte, 1), error);
  return error == boost::asio::error::eof || error == boost::asio::error::connection_reset;
}

}  // namespace gw::testing
