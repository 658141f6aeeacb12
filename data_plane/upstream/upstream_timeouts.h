// How long an upstream call may take, per phase, and how a timed-out call reports which phase
// ran out. Each provider may carry its own UpstreamTimeouts; the defaults suit hosted LLM APIs.
//   absl::Status s = ...;  // DEADLINE_EXCEEDED from UpstreamCall
//   if (UpstreamTimeoutOf(s) == UpstreamTimeout::kIdle) { /* the stream stalled */ }
#pragma once

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace gw::dp {

struct UpstreamTimeouts {
  // DNS, TCP connect and the TLS handshake together.
  absl::Duration connect = absl::Seconds(10);
  // From the request's last byte until the first byte of the response body. The head alone does
  // not stop it: some servers answer headers at once and the first token much later.
  absl::Duration first_byte = absl::Seconds(120);
  // The longest silence between two reads of the body once it started (stream events).
  absl::Duration idle = absl::Seconds(60);
  // The whole call, connect included, for non-streaming calls only (a stream lasts as long as it
  // keeps producing within `idle`).
  absl::Duration total = absl::Seconds(600);
};

// Which deadline ended a call. Every timeout is DEADLINE_EXCEEDED; this tells them apart.
enum class UpstreamTimeout { kConnect, kFirstByte, kIdle, kTotal };

absl::string_view UpstreamTimeoutName(UpstreamTimeout timeout);  // "connect", "first_byte", ...

// A DEADLINE_EXCEEDED status that names its timeout (as a status payload).
absl::Status MakeUpstreamTimeoutError(UpstreamTimeout timeout, absl::string_view message);

// The timeout that produced `status`; nullopt for any other status.
std::optional<UpstreamTimeout> UpstreamTimeoutOf(const absl::Status& status);

}  // namespace gw::dp
