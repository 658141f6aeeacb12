// The end of the serving pipelines: sends a chat completion or embeddings request to the
// provider of the requested model (ctx.model, from the pinned snapshot) and answers with what the
// provider sent. Non-streaming bodies are passed through as they are; streams (`"stream": true`)
// go to the client event by event through ctx.client_stream, with the usage chunk the gateway
// forces upstream hidden unless the client asked for it, and end with `data: [DONE]`, or with
// `data: {"error": ...}` when the upstream fails after the first byte. A client that hangs up
// mid-stream cancels the upstream call. ctx.usage receives provider, upstream model, tokens,
// status and timings for the response hooks.
//   auto providers = std::make_shared<ProviderCache>(UpstreamTimeouts{});
//   router->Add(verb::post, "/v1/chat/completions", std::make_shared<Pipeline>(
//       stages, std::make_shared<UpstreamHandler>(ApiKind::kChatCompletions, providers)));
#pragma once

#include <memory>

#include "boost/asio/awaitable.hpp"
#include "data_plane/endpoints/provider_cache.h"
#include "data_plane/pipeline/handler.h"
#include "data_plane/upstream/upstream_client.h"

namespace gw::dp {

class UpstreamHandler final : public Handler {
 public:
  // Needs the parse, model lookup (ctx.model) and key auth stages before it.
  UpstreamHandler(ApiKind api, std::shared_ptr<const ProviderCache> providers,
                  UpstreamClientOptions client_options = {});

  boost::asio::awaitable<void> Handle(RequestContext& ctx) const override;

 private:
  boost::asio::awaitable<void> Serve(RequestContext& ctx) const;
  // `provider` keeps its provider set alive: its usage is read after the response is written.
  boost::asio::awaitable<void> Buffered(RequestContext& ctx,
                                        std::shared_ptr<const Provider> provider,
                                        UpstreamCall& call, const RequestPlan& plan) const;
  boost::asio::awaitable<void> Streamed(RequestContext& ctx, const Provider& provider,
                                        UpstreamCall& call, const RequestPlan& plan) const;

  ApiKind api_;
  std::shared_ptr<const ProviderCache> providers_;
  UpstreamClientOptions client_options_;
};

}  // namespace gw::dp
