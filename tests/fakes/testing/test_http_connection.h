// A blocking HTTP/1.1 client connection for tests of servers that stream or misbehave: plain or
// TLS (verified against a test CA), keep-alive, every operation under a deadline, streamed
// bodies recorded chunk by chunk with arrival times, and the error that ended a body kept.
//   GW_ASSIGN_OR_RETURN(auto c, TestHttpConnection::Open("127.0.0.1:8080"));
//   c->Send("POST", "/v1/chat/completions", body);  auto r = c->ReadResponse();
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ssl/context.hpp"
#include "boost/asio/ssl/stream.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/core/tcp_stream.hpp"
#include "boost/system/error_code.hpp"

namespace gw::testing {

struct TestTlsOptions {
  std::string ca_file;      // PEM CA the server's certificate must chain to
  std::string verify_host;  // host name or IP address the certificate must be valid for
};

struct TestResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  // Body chunks (HTTP/1.1 chunked encoding) in arrival order, with the time since the head.
  std::vector<std::pair<absl::Duration, std::string>> chunks;
  // Why the body ended: success when complete; connection_reset, end_of_stream or
  // http::error::partial_message when the server cut it short.
  boost::system::error_code end;
};

class TestHttpConnection {
 public:
  // `tls` null: plain HTTP. Fails when the TCP connect or the TLS handshake (verification
  // included) fails; the status message then carries OpenSSL's reason.
  static absl::StatusOr<std::unique_ptr<TestHttpConnection>> Open(
      const std::string& address, const TestTlsOptions* tls = nullptr,
      absl::Duration timeout = absl::Seconds(10));
  ~TestHttpConnection();

  absl::Status Send(const std::string& method, const std::string& target,
                    const std::string& body = "",
                    const std::map<std::string, std::string>& headers = {});
  // Reads one response. A body the server cut short is not an error: see TestResponse::end.
  // Fails when no complete head arrives in time.
  absl::StatusOr<TestResponse> ReadResponse(absl::Duration timeout = absl::Seconds(10));
  // Reads just the head; the body can follow with ReadBody.
  absl::StatusOr<TestResponse> ReadHead(absl::Duration timeout = absl::Seconds(10));
  void ReadBody(TestResponse& response, absl::Duration timeout = absl::Seconds(10));

  // Closes the socket (FIN) at once, mid-response or not.
  void Close();

 private:
  TestHttpConnection();
  template <typename Fn>
  auto WithStream(Fn&& fn);

  boost::asio::io_context io_;
  boost::asio::ssl::context tls_context_;
  std::unique_ptr<boost::beast::tcp_stream> tcp_;
  std::unique_ptr<boost::asio::ssl::stream<boost::beast::tcp_stream>> tls_;
  boost::beast::flat_buffer buffer_;
  struct Parser;
  std::unique_ptr<Parser> parser_;
  absl::Time head_time_;
};

// One-shot request on a fresh connection.
absl::StatusOr<TestResponse> TestHttpCall(const std::string& address, const std::string& method,
                                          const std::string& target, const std::string& body = "",
                                          const std::map<std::string, std::string>& headers = {},
                                          const TestTlsOptions* tls = nullptr);

// The payloads of the "data: " lines of a text/event-stream body, in order.
std::vector<std::string> SseData(const std::string& body);

}  // namespace gw::testing
