// Turns one parsed HTTP request into the fake provider's Reply: routing, the API key check,
// recording, x_fake overrides, and the OpenAI body. Does no I/O; the session executes the Reply
// (delays, stalls, resets, streaming).
//   Reply reply; HandleRequest(request, state, reply);
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "boost/beast/http/message.hpp"
#include "boost/beast/http/string_body.hpp"
#include "tests/fakes/behaviour.h"
#include "tests/fakes/fake_state.h"
#include "tests/fakes/openai_wire.h"

namespace gw::testing {

using FakeHttpRequest = boost::beast::http::request<boost::beast::http::string_body>;

// Reused from request to request on a connection, so its buffers keep their capacity.
struct Reply {
  int status = 200;
  std::string_view content_type = "application/json";
  std::string extra_headers;  // complete "Name: value\r\n" lines
  std::string body;           // when `stream` is empty
  std::optional<ChatStream> stream;
  // Faults to inject (delay, stall, reset, truncation, chunk pacing); null on control paths.
  std::shared_ptr<const Behaviour> behaviour;

  void Clear();
};

void HandleRequest(const FakeHttpRequest& request, FakeProviderState& state, Reply& reply);

}  // namespace gw::testing
