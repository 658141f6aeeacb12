// A blocking HTTP/1.1 client for tests: one TCP connection, several requests in a row (to see
// keep-alive), responses parsed by Beast.
//   HttpTestClient client(port);
//   HttpReply reply = client.Get("/v1/models", {{"authorization", "Bearer gwk-..."}});
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/http/message.hpp"
#include "boost/beast/http/string_body.hpp"
#include "boost/beast/http/verb.hpp"
#include "boost/json/value.hpp"

namespace gw::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpReply {
  bool ok = false;  // The exchange completed (connected, written, a full response read).
  std::string error;
  boost::beast::http::response<boost::beast::http::string_body> message;

  unsigned status() const { return message.result_int(); }
  std::string header(const std::string& name) const;
  boost::json::value json() const;  // null when the body does not parse
};

class HttpTestClient {
 public:
  explicit HttpTestClient(uint16_t port);

  HttpReply Send(boost::beast::http::verb method, const std::string& target,
                 const Headers& headers = {}, const std::string& body = "");
  HttpReply Get(const std::string& target, const Headers& headers = {}) {
    return Send(boost::beast::http::verb::get, target, headers);
  }
  // Whether the server closed the connection (a read sees EOF) within a short wait.
  bool ServerClosed();

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
  std::string connect_error_;
};

// One request on a fresh connection.
inline HttpReply HttpGet(uint16_t port, const std::string& target, const Headers& headers = {}) {
  HttpTestClient client(port);
  return client.Get(target, headers);
}

}  // namespace gw::testing
