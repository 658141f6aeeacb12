// Everything one request carries through the pipeline: the parsed HTTP request, its id, the
// snapshot it pinned when it started (kept even if a newer one is published meanwhile), what the
// stages have established so far, and the response being built. Stages are shared by all
// threads and stateless; per-request state lives here.
#pragma once

#include <memory>
#include <memory_resource>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "boost/beast/http/fields.hpp"
#include "boost/beast/http/message.hpp"
#include "boost/beast/http/string_body.hpp"
#include "data_plane/config/snapshot.h"
#include "data_plane/http/request_id.h"
#include "data_plane/http/response.h"
#include "data_plane/pipeline/client_stream.h"
#include "data_plane/pipeline/request_facts.h"

namespace gw::dp {

// Header fields are allocated from a per-connection arena that is reset between requests, so
// parsing a request's headers does not touch the heap.
using RequestFieldAllocator = std::pmr::polymorphic_allocator<char>;
using HttpRequestFields = boost::beast::http::basic_fields<RequestFieldAllocator>;
using HttpRequest = boost::beast::http::request<boost::beast::http::string_body, HttpRequestFields>;

struct RequestContext {
  // Set by the server before the pipeline runs.
  const HttpRequest* request = nullptr;
  absl::string_view request_id;
  RequestIdGenerator::Buffer generated_request_id;  // Storage when the id was generated.
  std::shared_ptr<const Snapshot> snapshot;         // nullptr before the first config applies.
  absl::Time received_at;
  // The body went over the configured limit and was not read; the body-limit stage answers 413
  // (after routing and auth, in the order CONTRACTS.md gives).
  bool body_too_large = false;

  // Set by the key auth stage; valid while `snapshot` is held.
  const KeyInfo* key = nullptr;

  // Set by the parse stage (model, max_tokens, stream...), then the model lookup stage.
  RequestFacts facts;
  const gateway::config::v1::Model* model = nullptr;  // Points into `snapshot`.

  // The client connection, for handlers that stream their response; set by the server.
  ClientStream* client_stream = nullptr;

  Response response;
  // Filled by the upstream handler; read by response hooks.
  UsageFacts usage;

  // Between requests on one connection; buffers keep their capacity.
  void Reset() {
    request = nullptr;
    request_id = {};
    snapshot.reset();
    body_too_large = false;
    key = nullptr;
    facts.Reset();
    model = nullptr;
    response.Reset();
    usage.Reset();
  }
};

}  // namespace gw::dp
