#include "data_plane/upstream/response_parser.h"

#include "absl/strings/match.h"
#include "boost/beast/http/error.hpp"

namespace gw::dp {
namespace http = boost::beast::http;

absl::string_view ResponseHeaders::Find(absl::string_view name) const {
  for (const Field& field : fields_) {
    if (absl::EqualsIgnoreCase(Slice(field.name_begin, field.name_size), name)) {
      return Slice(field.value_begin, field.value_size);
    }
  }
  return {};
}

void ResponseHeaders::Add(absl::string_view name, absl::string_view value) {
  Field field;
  field.name_begin = static_cast<uint32_t>(text_.size());
  field.name_size = static_cast<uint32_t>(name.size());
  text_.append(name.data(), name.size());
  field.value_begin = static_cast<uint32_t>(text_.size());
  field.value_size = static_cast<uint32_t>(value.size());
  text_.append(value.data(), value.size());
  fields_.push_back(field);
}

ResponseParser::ResponseParser(ResponseHeaders& headers, uint64_t max_body_bytes)
    : headers_(headers) {
  headers_.Clear();
  body_limit(max_body_bytes);
  header_limit(64 * 1024);
}

void ResponseParser::on_response_impl(int code, boost::beast::string_view, int version,
                                      boost::beast::error_code& ec) {
  if (version < 10) {
    ec = http::error::bad_version;
    return;
  }
  headers_.set_status(code);
}

void ResponseParser::on_field_impl(http::field, boost::beast::string_view name_string,
                                   boost::beast::string_view value, boost::beast::error_code&) {
  headers_.Add(absl::string_view(name_string.data(), name_string.size()),
               absl::string_view(value.data(), value.size()));
}

void ResponseParser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                       boost::beast::error_code&) {
  // For a buffered call the whole body lands in one string: reserve it once.
  if (content_length && whole_body_) sink_->reserve(sink_->size() + *content_length);
}

std::size_t ResponseParser::on_body_impl(boost::beast::string_view body,
                                         boost::beast::error_code&) {
  sink_->append(body.data(), body.size());
  body_bytes_ += body.size();
  return body.size();
}

std::size_t ResponseParser::on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                                               boost::beast::error_code&) {
  sink_->append(body.data(), body.size());
  body_bytes_ += body.size();
  return body.size();
}

}  // namespace gw::dp
