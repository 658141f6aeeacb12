#include "data_plane/config/snapshot_file.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "common/api_key.h"
#include "common/status_macros.h"
#include "data_plane/config/state_dir.h"

namespace gw::dp {
namespace {

// Layout: magic (8) | payload length, little-endian (8) | SHA-256 of the payload (32) | payload.
constexpr absl::string_view kMagic = "GWSNAP01";
constexpr size_t kDigestSize = 32;
constexpr size_t kHeaderSize = kMagic.size() + 8 + kDigestSize;

void AppendLittleEndian64(uint64_t value, std::string* out) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint64_t ReadLittleEndian64(absl::string_view bytes) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

}  // namespace

absl::Status PersistSnapshot(const std::string& state_dir, absl::string_view serialized_snapshot) {
  std::string framed;
  framed.reserve(kHeaderSize + serialized_snapshot.size());
  framed.append(kMagic.data(), kMagic.size());
  AppendLittleEndian64(serialized_snapshot.size(), &framed);
  framed.append(Sha256(serialized_snapshot));
  framed.append(serialized_snapshot.data(), serialized_snapshot.size());
  return WriteFileAtomically(state_dir, kSnapshotFileName, framed);
}

absl::StatusOr<std::string> LoadPersistedSnapshot(const std::string& state_dir) {
  const std::string path = absl::StrCat(state_dir, "/", kSnapshotFileName);
  GW_ASSIGN_OR_RETURN(std::string framed, ReadWholeFile(path));
  const absl::string_view view(framed);
  if (view.size() < kHeaderSize || view.substr(0, kMagic.size()) != kMagic) {
    return absl::DataLossError(absl::StrCat(path, " is not a snapshot file or is truncated"));
  }
  const uint64_t length = ReadLittleEndian64(view.substr(kMagic.size(), 8));
  const absl::string_view digest = view.substr(kMagic.size() + 8, kDigestSize);
  const absl::string_view payload = view.substr(kHeaderSize);
  if (payload.size() != length) {
    return absl::DataLossError(absl::StrCat(path, " is truncated: expected ", length,
                                            " payload bytes, found ", payload.size()));
  }
  if (!ConstantTimeEquals(Sha256(payload), digest)) {
    return absl::DataLossError(absl::StrCat(path, " is corrupt: checksum mismatch"));
  }
  return std::string(payload);
}

}  // namespace gw::dp
