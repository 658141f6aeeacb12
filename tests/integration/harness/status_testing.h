// GoogleTest helpers for absl::Status and absl::StatusOr (Debian's abseil ships no matchers).
//   GW_ASSERT_OK(store.Open(path));  GW_ASSERT_OK_AND_ASSIGN(auto dir, TempDir::Create());
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"

namespace gw::testing::internal {

inline const absl::Status& StatusOf(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace gw::testing::internal

#define GW_EXPECT_OK(expr)                                                          \
  do {                                                                              \
    const auto& gw_expect_ok_value_ = (expr);                                       \
    EXPECT_TRUE(gw_expect_ok_value_.ok())                                           \
        << #expr << ": " << ::gw::testing::internal::StatusOf(gw_expect_ok_value_); \
  } while (false)

#define GW_ASSERT_OK(expr)                                                          \
  do {                                                                              \
    const auto& gw_assert_ok_value_ = (expr);                                       \
    ASSERT_TRUE(gw_assert_ok_value_.ok())                                           \
        << #expr << ": " << ::gw::testing::internal::StatusOf(gw_assert_ok_value_); \
  } while (false)

#define GW_TESTING_CONCAT_INNER(a, b) a##b
#define GW_TESTING_CONCAT(a, b) GW_TESTING_CONCAT_INNER(a, b)

// Declares or assigns `lhs` from the value of a StatusOr, failing the test (and returning from
// it) when the StatusOr holds an error.
#define GW_ASSERT_OK_AND_ASSIGN(lhs, expr) \
  GW_ASSERT_OK_AND_ASSIGN_IMPL(GW_TESTING_CONCAT(gw_statusor_, __LINE__), lhs, expr)
#define GW_ASSERT_OK_AND_ASSIGN_IMPL(statusor, lhs, expr)           \
  auto statusor = (expr);                                           \
  ASSERT_TRUE(statusor.ok()) << #expr << ": " << statusor.status(); \
  lhs = *std::move(statusor)
