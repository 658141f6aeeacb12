#include "tests/fakes/behaviour.h"

#include <string_view>

#include "absl/strings/str_cat.h"
#include "boost/json/value.hpp"

namespace gw::testing {
namespace {

namespace json = boost::json;

absl::Status FieldError(std::string_view name, std::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("x_fake field '", std::string(name), "' must be ", std::string(expected)));
}

absl::Status ReadInt(std::string_view name, const json::value& v, int64_t min, int64_t& out) {
  if (v.is_int64() && v.get_int64() >= min) {
    out = v.get_int64();
    return absl::OkStatus();
  }
  if (v.is_uint64() && v.get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    out = static_cast<int64_t>(v.get_uint64());
    return absl::OkStatus();
  }
  return FieldError(name, absl::StrCat("an integer >= ", min));
}

absl::Status ReadOptionalInt(std::string_view name, const json::value& v, int64_t min,
                             std::optional<int64_t>& out) {
  if (v.is_null()) {
    out.reset();
    return absl::OkStatus();
  }
  int64_t value = 0;
  if (absl::Status s = ReadInt(name, v, min, value); !s.ok()) return s;
  out = value;
  return absl::OkStatus();
}

absl::Status ReadBool(std::string_view name, const json::value& v, bool& out) {
  if (!v.is_bool()) return FieldError(name, "true or false");
  out = v.get_bool();
  return absl::OkStatus();
}

absl::Status ReadString(std::string_view name, const json::value& v, std::string& out) {
  if (v.is_null()) {
    out.clear();
    return absl::OkStatus();
  }
  if (!v.is_string()) return FieldError(name, "a string");
  out = std::string(v.get_string());
  return absl::OkStatus();
}

absl::Status ApplyField(std::string_view name, const json::value& v, Behaviour& b) {
  if (name == "status") {
    int64_t status = 0;
    if (absl::Status s = ReadInt(name, v, 200, status); !s.ok() || status > 599) {
      return FieldError(name, "an HTTP status between 200 and 599");
    }
    b.status = static_cast<int>(status);
    return absl::OkStatus();
  }
  if (name == "error_message") return ReadString(name, v, b.error_message);
  if (name == "error_type") return ReadString(name, v, b.error_type);
  if (name == "error_code") return ReadString(name, v, b.error_code);
  if (name == "retry_after_s") return ReadInt(name, v, 0, b.retry_after_s);
  if (name == "first_byte_delay_ms") return ReadInt(name, v, 0, b.first_byte_delay_ms);
  if (name == "stall") return ReadBool(name, v, b.stall);
  if (name == "stall_after_chunks") return ReadOptionalInt(name, v, 0, b.stall_after_chunks);
  if (name == "reset_after_chunks") return ReadOptionalInt(name, v, 0, b.reset_after_chunks);
  if (name == "truncate_body") return ReadBool(name, v, b.truncate_body);
  if (name == "chunks") return ReadInt(name, v, 0, b.chunks);
  if (name == "chunk_interval_ms") return ReadInt(name, v, 0, b.chunk_interval_ms);
  if (name == "completion_tokens") return ReadOptionalInt(name, v, 0, b.completion_tokens);
  if (name == "cached_tokens") return ReadInt(name, v, 0, b.cached_tokens);
  if (name == "embedding_dimensions") {
    if (absl::Status s = ReadInt(name, v, 1, b.embedding_dimensions); !s.ok()) return s;
    if (b.embedding_dimensions > 65536) return FieldError(name, "at most 65536");
    return absl::OkStatus();
  }
  if (name == "content") {
    if (v.is_null()) {
      b.content.reset();
      return absl::OkStatus();
    }
    if (!v.is_string()) return FieldError(name, "a string or null");
    b.content = std::string(v.get_string());
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown x_fake field '", std::string(name), "'"));
}

}  // namespace

absl::Status ApplyBehaviourJson(const json::object& object, Behaviour& behaviour) {
  for (const auto& field : object) {
    const std::string_view name(field.key().data(), field.key().size());
    if (absl::Status s = ApplyField(name, field.value(), behaviour); !s.ok()) return s;
  }
  return absl::OkStatus();
}

json::object BehaviourToJson(const Behaviour& b) {
  json::object out;
  out["status"] = b.status;
  out["error_message"] = b.error_message;
  out["error_type"] = b.error_type;
  out["error_code"] = b.error_code;
  out["retry_after_s"] = b.retry_after_s;
  out["first_byte_delay_ms"] = b.first_byte_delay_ms;
  out["stall"] = b.stall;
  out["stall_after_chunks"] =
      b.stall_after_chunks ? json::value(*b.stall_after_chunks) : json::value(nullptr);
  out["reset_after_chunks"] =
      b.reset_after_chunks ? json::value(*b.reset_after_chunks) : json::value(nullptr);
  out["truncate_body"] = b.truncate_body;
  out["chunks"] = b.chunks;
  out["chunk_interval_ms"] = b.chunk_interval_ms;
  out["content"] = b.content ? json::value(*b.content) : json::value(nullptr);
  out["completion_tokens"] =
      b.completion_tokens ? json::value(*b.completion_tokens) : json::value(nullptr);
  out["cached_tokens"] = b.cached_tokens;
  out["embedding_dimensions"] = b.embedding_dimensions;
  return out;
}

}  // namespace gw::testing
