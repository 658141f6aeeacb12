#include "data_plane/server/listen_address.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace gw::dp {

absl::StatusOr<ListenAddress> ParseListenAddress(absl::string_view text, absl::string_view flag) {
  const auto invalid = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": '", text, "' is not host:port (e.g. 127.0.0.1:8080)"));
  };
  const size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) return invalid();
  absl::string_view host = text.substr(0, colon);
  if (absl::StartsWith(host, "[")) {
    if (!absl::EndsWith(host, "]") || host.size() < 3) return invalid();
    host = host.substr(1, host.size() - 2);
  } else if (absl::StrContains(host, ':')) {
    return invalid();  // An IPv6 host needs brackets.
  }
  uint32_t port = 0;
  const absl::string_view port_text = text.substr(colon + 1);
  if (port_text.empty() || !absl::SimpleAtoi(port_text, &port) || port > 65535) return invalid();
  return ListenAddress{std::string(host), static_cast<uint16_t>(port)};
}

std::string FormatHostPort(absl::string_view host, uint16_t port) {
  if (absl::StrContains(host, ':')) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

}  // namespace gw::dp
