#include "data_plane/usage/record_id.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace gw::dp {
namespace {

constexpr size_t kMaxWorkerIdChars = 64;

std::string RandomBootNonce() {
  std::random_device device;
  const uint64_t high = device();
  const uint64_t low = device();
  return absl::StrFormat("%016x", (high << 32) ^ low);
}

}  // namespace

RecordIdGenerator::RecordIdGenerator(absl::string_view worker_id)
    : prefix_(worker_id.substr(0, kMaxWorkerIdChars)), boot_nonce_(RandomBootNonce()) {
  absl::StrAppend(&prefix_, "-", boot_nonce_, "-");
}

std::string RecordIdGenerator::Next() {
  std::string id;
  Next(&id);
  return id;
}

void RecordIdGenerator::Next(std::string* id) {
  id->assign(prefix_);
  absl::StrAppend(id, counter_.fetch_add(1, std::memory_order_relaxed));
}

}  // namespace gw::dp
