#include "common/api_key.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <cstdint>

#include "absl/strings/str_cat.h"

namespace gw {
namespace {

absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) {
    return absl::InternalError("CSPRNG failure (RAND_bytes)");
  }
  return bytes;
}

// Maps each random byte to an alphabet character by rejection sampling, so every character is
// uniformly distributed.
absl::StatusOr<std::string> RandomString(absl::string_view alphabet, size_t length) {
  const unsigned limit = 256 - (256 % static_cast<unsigned>(alphabet.size()));
  std::string out;
  while (out.size() < length) {
    absl::StatusOr<std::string> bytes = RandomBytes(length * 2);
    if (!bytes.ok()) return bytes.status();
    for (unsigned char b : *bytes) {
      if (b >= limit) continue;
      out.push_back(alphabet[b % alphabet.size()]);
      if (out.size() == length) break;
    }
  }
  return out;
}

constexpr absl::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr absl::string_view kBase32 = "0123456789abcdefghjkmnpqrstvwxyz";

}  // namespace

absl::StatusOr<GeneratedKey> GenerateApiKey() {
  absl::StatusOr<std::string> body = RandomString(kBase62, 43);
  if (!body.ok()) return body.status();
  GeneratedKey key;
  key.plaintext = absl::StrCat(kApiKeyPrefix, *body);
  key.prefix = key.plaintext.substr(0, kDisplayPrefixLength);
  key.sha256 = Sha256(key.plaintext);
  return key;
}

absl::StatusOr<std::string> GenerateId(absl::string_view prefix) {
  absl::StatusOr<std::string> body = RandomString(kBase32, 16);
  if (!body.ok()) return body.status();
  return absl::StrCat(prefix, *body);
}

std::string Sha256(absl::string_view data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest;
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

std::string HexEncode(absl::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace gw
