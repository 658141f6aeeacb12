#include "data_plane/http/request_id.h"

#include <random>

namespace gw::dp {

bool IsValidRequestId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

RequestIdGenerator::RequestIdGenerator() {
  std::random_device device;
  state_ = (static_cast<uint64_t>(device()) << 32) ^ device();
}

// splitmix64: fast, and seeded per thread from the OS so that threads and processes diverge.
uint64_t RequestIdGenerator::NextRandom() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

absl::string_view RequestIdGenerator::Next(Buffer& buffer) {
  static constexpr char kHex[] = "0123456789abcdef";
  buffer[0] = 'r';
  buffer[1] = 'e';
  buffer[2] = 'q';
  buffer[3] = '_';
  uint64_t high = NextRandom();
  uint64_t low = NextRandom();
  for (size_t i = 0; i < 16; ++i, high >>= 4) buffer[4 + i] = kHex[high & 0xf];
  for (size_t i = 0; i < 8; ++i, low >>= 4) buffer[20 + i] = kHex[low & 0xf];
  return absl::string_view(buffer.data(), buffer.size());
}

}  // namespace gw::dp
