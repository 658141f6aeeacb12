// The low-level SHA-256 interface is deprecated in OpenSSL 3 in favour of EVP, whose per-call
// provider dispatch is what this file exists to avoid; it remains supported throughout 3.x.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "data_plane/stages/auth/key_digest.h"

#include <openssl/sha.h>

namespace gw::dp {

KeyDigest DigestApiKey(absl::string_view key) {
  static_assert(SHA256_DIGEST_LENGTH == 32);
  KeyDigest digest;
  SHA256_CTX context;
  SHA256_Init(&context);
  SHA256_Update(&context, key.data(), key.size());
  SHA256_Final(reinterpret_cast<unsigned char*>(digest.bytes.data()), &context);
  return digest;
}

}  // namespace gw::dp
