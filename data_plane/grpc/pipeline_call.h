// One gRPC call as a request of the HTTP pipelines: a synthetic POST/GET with the call's key,
// request id and OpenAI JSON body, run through the Router's pipeline for its path on one of the
// HTTP server's I/O threads (upstream clients and their pools are per thread), so every stage
// that serves HTTP serves gRPC too.
//   auto call = std::make_shared<PipelineCall>(router, snapshots, max_body, std::move(request));
//   call->Start(pick_executor(), /*stream=*/nullptr,
//               [call](const RequestContext& ctx) { /* ctx.response is complete */ });
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "boost/asio/any_io_executor.hpp"
#include "boost/beast/http/verb.hpp"
#include "data_plane/config/snapshot_store.h"
#include "data_plane/pipeline/client_stream.h"
#include "data_plane/pipeline/request_context.h"
#include "data_plane/server/router.h"

namespace gw::dp {

struct PipelineRequest {
  boost::beast::http::verb method = boost::beast::http::verb::post;
  std::string path;
  std::string body;
  // Metadata values, passed on as the HTTP headers of the same names when not empty.
  std::string authorization;
  std::string api_key;
  std::string request_id;  // Already valid per CONTRACTS.md (see RequestIdForCall).
};

class PipelineCall : public std::enable_shared_from_this<PipelineCall> {
 public:
  // `router` and `snapshots` must outlive the call. A body over `max_body_bytes` gets the
  // pipeline's 413, as over HTTP.
  PipelineCall(const Router& router, const SnapshotStore& snapshots, uint64_t max_body_bytes,
               PipelineRequest request);
  PipelineCall(const PipelineCall&) = delete;
  PipelineCall& operator=(const PipelineCall&) = delete;

  // Runs the pipeline on `executor`. `stream` (nullptr for buffered calls) receives a streamed
  // response and must live until `done`, which runs on the executor's thread once the response
  // is settled; the stages' completion hooks (metering) run after it, so the reply does not wait
  // for them. The call keeps itself alive until they have run.
  void Start(boost::asio::any_io_executor executor, ClientStream* stream,
             std::function<void(const RequestContext&)> done);

 private:
  static boost::asio::awaitable<void> Run(std::shared_ptr<PipelineCall> self,
                                          std::function<void(const RequestContext&)> done);

  const Router& router_;
  const SnapshotStore& snapshots_;
  uint64_t max_body_bytes_;
  std::string request_id_;
  HttpRequest request_;
  RequestContext ctx_;
};

}  // namespace gw::dp
