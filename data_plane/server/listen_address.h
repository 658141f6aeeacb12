// host:port listen addresses as the flags take them ("127.0.0.1:8080", "[::1]:0", "0.0.0.0:80").
//   GW_ASSIGN_OR_RETURN(ListenAddress address, ParseListenAddress("127.0.0.1:0"));
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gw::dp {

struct ListenAddress {
  std::string host;  // Without brackets for IPv6.
  uint16_t port = 0;
};

// INVALID_ARGUMENT naming `flag` when `text` is not host:port with a port in 0..65535.
absl::StatusOr<ListenAddress> ParseListenAddress(absl::string_view text,
                                                 absl::string_view flag = "address");

// "127.0.0.1:8080" or "[::1]:8080".
std::string FormatHostPort(absl::string_view host, uint16_t port);

}  // namespace gw::dp
