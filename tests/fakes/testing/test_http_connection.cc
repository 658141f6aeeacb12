#include "tests/fakes/testing/test_http_connection.h"

#include <cctype>
#include <chrono>
#include <functional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ssl/host_name_verification.hpp"
#include "boost/beast/http/parser.hpp"
#include "boost/beast/http/read.hpp"
#include "boost/beast/http/string_body.hpp"
#include "boost/beast/http/write.hpp"

namespace gw::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

std::chrono::steady_clock::duration ToChrono(absl::Duration d) {
  return absl::ToChronoNanoseconds(d);
}

}  // namespace

struct TestHttpConnection::Parser {
  http::response_parser<http::string_body> parser;
  TestResponse* response = nullptr;
  std::function<size_t(uint64_t, beast::string_view, boost::system::error_code&)> on_chunk;
};

TestHttpConnection::TestHttpConnection() : tls_context_(asio::ssl::context::tls_client) {}

TestHttpConnection::~TestHttpConnection() { Close(); }

template <typename Fn>
auto TestHttpConnection::WithStream(Fn&& fn) {
  if (tls_) return fn(*tls_);
  return fn(*tcp_);
}

absl::StatusOr<std::unique_ptr<TestHttpConnection>> TestHttpConnection::Open(
    const std::string& address, const TestTlsOptions* tls, absl::Duration timeout) {
  std::unique_ptr<TestHttpConnection> c(new TestHttpConnection());
  const size_t colon = address.rfind(':');
  uint32_t port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(absl::StrCat("bad address ", address));
  }
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(address.substr(0, colon), ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("bad address ", address));
  const tcp::endpoint endpoint(ip, static_cast<uint16_t>(port));

  if (tls != nullptr) {
    c->tls_context_.set_verify_mode(asio::ssl::verify_peer);
    c->tls_context_.load_verify_file(tls->ca_file, ec);
    if (ec) return absl::InvalidArgumentError(absl::StrCat("CA file: ", ec.message()));
    c->tls_ = std::make_unique<asio::ssl::stream<beast::tcp_stream>>(c->io_, c->tls_context_);
    c->tls_->set_verify_callback(asio::ssl::host_name_verification(tls->verify_host));
  } else {
    c->tcp_ = std::make_unique<beast::tcp_stream>(c->io_);
  }
  beast::tcp_stream& lowest = c->tls_ ? c->tls_->next_layer() : *c->tcp_;
  lowest.expires_after(ToChrono(timeout));
  lowest.async_connect(endpoint, [&ec](boost::system::error_code e) { ec = e; });
  c->io_.run();
  if (ec) return absl::UnavailableError(absl::StrCat("connect ", address, ": ", ec.message()));
  if (c->tls_) {
    c->io_.restart();
    lowest.expires_after(ToChrono(timeout));
    c->tls_->async_handshake(asio::ssl::stream_base::client,
                             [&ec](boost::system::error_code e) { ec = e; });
    c->io_.run();
    if (ec) return absl::UnavailableError(absl::StrCat("TLS handshake: ", ec.message()));
  }
  return c;
}

absl::Status TestHttpConnection::Send(const std::string& method, const std::string& target,
                                      const std::string& body,
                                      const std::map<std::string, std::string>& headers) {
  http::request<http::string_body> request;
  request.method_string(method);
  request.target(target);
  request.version(11);
  request.set(http::field::host, "127.0.0.1");
  bool has_content_type = false;
  for (const auto& [name, value] : headers) {
    request.set(name, value);
    if (beast::iequals(name, "content-type")) has_content_type = true;
  }
  if (!body.empty() && !has_content_type)
    request.set(http::field::content_type, "application/json");
  request.body() = body;
  // A Content-Length given by the caller stays, so tests can send malformed framing.
  if (request.find(http::field::content_length) == request.end()) request.prepare_payload();
  boost::system::error_code ec;
  io_.restart();
  WithStream([&](auto& stream) {
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
    http::async_write(stream, request, [&ec](boost::system::error_code e, size_t) { ec = e; });
  });
  io_.run();
  if (ec) return absl::UnavailableError(absl::StrCat("write: ", ec.message()));
  return absl::OkStatus();
}

absl::StatusOr<TestResponse> TestHttpConnection::ReadHead(absl::Duration timeout) {
  parser_ = std::make_unique<Parser>();
  parser_->parser.body_limit(256 * 1024 * 1024);
  boost::system::error_code ec;
  io_.restart();
  WithStream([&](auto& stream) {
    beast::get_lowest_layer(stream).expires_after(ToChrono(timeout));
    http::async_read_header(stream, buffer_, parser_->parser,
                            [&ec](boost::system::error_code e, size_t) { ec = e; });
  });
  io_.run();
  if (ec) return absl::UnavailableError(absl::StrCat("reading the response head: ", ec.message()));
  head_time_ = absl::Now();
  TestResponse response;
  const auto& message = parser_->parser.get();
  response.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    std::string name(field.name_string());
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    response.headers[name] = std::string(field.value());
  }
  return response;
}

void TestHttpConnection::ReadBody(TestResponse& response, absl::Duration timeout) {
  if (!parser_) {
    response.end = http::error::end_of_stream;
    return;
  }
  parser_->response = &response;
  const absl::Time head_time = head_time_;
  // Beast hands a chunk over in as many pieces as it was read in; `remain` counts the bytes of
  // the chunk still due including this piece, so a piece as long as `remain` ends the chunk.
  parser_->on_chunk = [&response, head_time, in_chunk = false](uint64_t remain,
                                                               beast::string_view body,
                                                               boost::system::error_code&) mutable {
    if (!in_chunk) response.chunks.emplace_back(absl::Now() - head_time, std::string());
    response.chunks.back().second.append(body.data(), body.size());
    in_chunk = body.size() < remain;
    response.body.append(body.data(), body.size());
    return body.size();
  };
  parser_->parser.on_chunk_body(parser_->on_chunk);
  boost::system::error_code ec;
  io_.restart();
  WithStream([&](auto& stream) {
    beast::get_lowest_layer(stream).expires_after(ToChrono(timeout));
    http::async_read(stream, buffer_, parser_->parser,
                     [&ec](boost::system::error_code e, size_t) { ec = e; });
  });
  io_.run();
  response.end = ec;
  if (!parser_->parser.chunked()) response.body = parser_->parser.get().body();
  parser_.reset();
}

absl::StatusOr<TestResponse> TestHttpConnection::ReadResponse(absl::Duration timeout) {
  absl::StatusOr<TestResponse> response = ReadHead(timeout);
  if (!response.ok()) return response;
  ReadBody(*response, timeout);
  return response;
}

void TestHttpConnection::Close() {
  boost::system::error_code ignored;
  if (tls_) beast::get_lowest_layer(*tls_).socket().close(ignored);
  if (tcp_) tcp_->socket().close(ignored);
}

absl::StatusOr<TestResponse> TestHttpCall(const std::string& address, const std::string& method,
                                          const std::string& target, const std::string& body,
                                          const std::map<std::string, std::string>& headers,
                                          const TestTlsOptions* tls) {
  absl::StatusOr<std::unique_ptr<TestHttpConnection>> c = TestHttpConnection::Open(address, tls);
  if (!c.ok()) return c.status();
  if (absl::Status s = (*c)->Send(method, target, body, headers); !s.ok()) return s;
  return (*c)->ReadResponse();
}

std::vector<std::string> SseData(const std::string& body) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find('\n', pos);
    if (end == std::string::npos) end = body.size();
    std::string_view line(body.data() + pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.substr(0, 6) == "data: ") out.emplace_back(line.substr(6));
    pos = end + 1;
  }
  return out;
}

}  // namespace gw::testing
