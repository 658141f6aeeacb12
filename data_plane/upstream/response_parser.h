// An HTTP/1.1 response parser for upstream calls on top of Beast's basic_parser, which does the
// framing (Content-Length, chunked, read-to-close). Unlike beast::http::response_parser it keeps
// the header fields in two buffers that keep their capacity across responses, and it appends the
// body to whatever string the caller points it at, so a pooled connection parses response after
// response without allocating.
//   ResponseParser parser(header_store, max_body);
//   parser.set_body_sink(&chunk);  parser.put(buffer, ec);  // appends body bytes to chunk
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "boost/beast/http/basic_parser.hpp"

namespace gw::dp {

// The status and header fields of one upstream response; owned by its connection and valid
// until the connection starts its next response.
class ResponseHeaders {
 public:
  int status() const { return status_; }
  // The first field of that name (case-insensitive); empty when absent.
  absl::string_view Find(absl::string_view name) const;
  size_t size() const { return fields_.size(); }
  absl::string_view name(size_t i) const {
    return Slice(fields_[i].name_begin, fields_[i].name_size);
  }
  absl::string_view value(size_t i) const {
    return Slice(fields_[i].value_begin, fields_[i].value_size);
  }

  void Clear() {
    status_ = 0;
    text_.clear();
    fields_.clear();
  }
  void set_status(int status) { status_ = status; }
  void Add(absl::string_view name, absl::string_view value);

 private:
  struct Field {
    uint32_t name_begin, name_size, value_begin, value_size;
  };
  absl::string_view Slice(uint32_t begin, uint32_t size) const {
    return absl::string_view(text_.data() + begin, size);
  }

  int status_ = 0;
  std::string text_;  // Every name and value, back to back.
  std::vector<Field> fields_;
};

class ResponseParser final : public boost::beast::http::basic_parser<false> {
 public:
  ResponseParser(ResponseHeaders& headers, uint64_t max_body_bytes);

  // Where body bytes go from now on (appended); must be set before the body is parsed.
  // `whole_body`: the sink takes the entire body, so reserve its Content-Length up front.
  void set_body_sink(std::string* sink, bool whole_body) {
    sink_ = sink;
    whole_body_ = whole_body;
  }
  // Body bytes seen so far (all sinks together).
  uint64_t body_bytes() const { return body_bytes_; }

 private:
  void on_request_impl(boost::beast::http::verb, boost::beast::string_view,
                       boost::beast::string_view, int, boost::beast::error_code&) override {}
  void on_response_impl(int code, boost::beast::string_view reason, int version,
                        boost::beast::error_code& ec) override;
  void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_string,
                     boost::beast::string_view value, boost::beast::error_code& ec) override;
  void on_header_impl(boost::beast::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         boost::beast::error_code& ec) override;
  std::size_t on_body_impl(boost::beast::string_view body, boost::beast::error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view,
                            boost::beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t remain, boost::beast::string_view body,
                                 boost::beast::error_code& ec) override;
  void on_finish_impl(boost::beast::error_code&) override {}

  ResponseHeaders& headers_;
  std::string* sink_ = nullptr;
  bool whole_body_ = false;
  uint64_t body_bytes_ = 0;
};

}  // namespace gw::dp
