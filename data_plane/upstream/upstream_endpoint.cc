#include "data_plane/upstream/upstream_endpoint.h"

#include <charconv>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "boost/url/parse.hpp"
#include "boost/url/url_view.hpp"

namespace gw::dp {

std::string UpstreamEndpoint::PathFor(absl::string_view suffix) const {
  return absl::StrCat(base_path, suffix);
}

absl::StatusOr<UpstreamEndpoint> ParseUpstreamEndpoint(absl::string_view base_url) {
  const auto parsed =
      boost::urls::parse_absolute_uri(boost::core::string_view(base_url.data(), base_url.size()));
  // A URL with user info may carry a password: never echo that one.
  const absl::string_view shown = absl::StrContains(base_url, '@') ? "<withheld>" : base_url;
  const auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid provider base URL '", shown, "': ", why));
  };
  if (!parsed) return invalid("not an absolute URL");
  const boost::urls::url_view& url = *parsed;

  UpstreamEndpoint endpoint;
  const auto scheme = url.scheme_id();
  if (scheme == boost::urls::scheme::https) {
    endpoint.tls = true;
    endpoint.port = 443;
  } else if (scheme == boost::urls::scheme::http) {
    endpoint.tls = false;
    endpoint.port = 80;
  } else {
    return invalid("the scheme must be http or https");
  }
  if (!url.has_authority() || url.host().empty()) return invalid("no host");
  if (url.has_userinfo()) return invalid("user info is not allowed");
  if (url.has_query() || url.has_fragment()) return invalid("query and fragment are not allowed");

  if (url.host_type() == boost::urls::host_type::ipv6) {
    const auto address = url.host_address();  // "[::1]" -> "::1"
    endpoint.host.assign(address.data(), address.size());
  } else if (url.host_type() == boost::urls::host_type::ipvfuture) {
    return invalid("unsupported host");
  } else {
    const std::string host = url.host();  // Percent-decoded.
    endpoint.host = host;
  }
  if (url.has_port()) {
    const auto port_text = url.port();
    unsigned port = 0;
    const auto [end, error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return invalid("bad port");
    }
    endpoint.port = static_cast<uint16_t>(port);
  }

  const auto path = url.encoded_path();
  endpoint.base_path.assign(path.data(), path.size());
  while (!endpoint.base_path.empty() && endpoint.base_path.back() == '/') {
    endpoint.base_path.pop_back();
  }

  const bool default_port = endpoint.port == (endpoint.tls ? 443 : 80);
  const auto host_and_brackets = url.encoded_host_and_port();  // Keeps IPv6 brackets.
  if (default_port) {
    const auto host_text = url.encoded_host_address();
    endpoint.host_header.assign(host_text.data(), host_text.size());
    if (url.host_type() == boost::urls::host_type::ipv6) {
      endpoint.host_header = absl::StrCat("[", endpoint.host, "]");
    }
  } else {
    endpoint.host_header.assign(host_and_brackets.data(), host_and_brackets.size());
  }
  endpoint.pool_key = absl::StrCat(endpoint.tls ? "https://" : "http://", endpoint.host_header,
                                   default_port ? absl::StrCat(":", endpoint.port) : "");
  return endpoint;
}

}  // namespace gw::dp
