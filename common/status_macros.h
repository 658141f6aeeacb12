// Early-return helpers for absl::Status and absl::StatusOr, as used on every hot path.
//   GW_RETURN_IF_ERROR(store.Write(x));  GW_ASSIGN_OR_RETURN(auto row, store.Read(id));
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define GW_STATUS_CONCAT_INNER(a, b) a##b
#define GW_STATUS_CONCAT(a, b) GW_STATUS_CONCAT_INNER(a, b)

#define GW_RETURN_IF_ERROR(expr)                   \
  do {                                             \
    if (absl::Status gw_status_ = (expr); !gw_status_.ok()) { \
      return gw_status_;                           \
    }                                              \
  } while (false)

#define GW_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return std::move(tmp).status(); \
  lhs = *std::move(tmp)

#define GW_ASSIGN_OR_RETURN(lhs, expr) \
  GW_ASSIGN_OR_RETURN_IMPL(GW_STATUS_CONCAT(gw_statusor_, __LINE__), lhs, expr)
