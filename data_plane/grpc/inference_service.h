// The gRPC Inference service (proto/gateway/inference/v1/inference.proto) on the callback API.
// Each call is translated to the OpenAI JSON request of the matching HTTP path and run through
// that path's pipeline (PipelineCall), so keys, limits, permissions and usage apply exactly as over
// HTTP; the answer is translated back, or mapped to a gRPC status (grpc_status_mapping.h).
//   InferenceService service({.router = router.get(), .snapshots = &snapshots,
//                             .pick_executor = [&] { return http.NextExecutor(); }});
//   builder.RegisterService(&service);
#pragma once

#include <cstdint>
#include <functional>

#include "boost/asio/any_io_executor.hpp"
#include "data_plane/config/snapshot_store.h"
#include "data_plane/server/router.h"
#include "gateway/inference/v1/inference.grpc.pb.h"

namespace gw::dp {

struct InferenceServiceOptions {
  const Router* router = nullptr;            // Must outlive the service.
  const SnapshotStore* snapshots = nullptr;  // Must outlive the service.
  // An I/O thread of the HTTP server for each call's pipeline.
  std::function<boost::asio::any_io_executor()> pick_executor;
  uint64_t max_body_bytes = 32 * 1024 * 1024;  // The same limit as HTTP bodies (413 -> 400).
};

class InferenceService final : public gateway::inference::v1::Inference::CallbackService {
 public:
  explicit InferenceService(InferenceServiceOptions options);

  grpc::ServerUnaryReactor* CreateChatCompletion(
      grpc::CallbackServerContext* context,
      const gateway::inference::v1::ChatCompletionRequest* request,
      gateway::inference::v1::ChatCompletion* reply) override;
  grpc::ServerWriteReactor<gateway::inference::v1::ChatCompletionChunk>* StreamChatCompletion(
      grpc::CallbackServerContext* context,
      const gateway::inference::v1::ChatCompletionRequest* request) override;
  grpc::ServerUnaryReactor* CreateEmbedding(
      grpc::CallbackServerContext* context, const gateway::inference::v1::EmbeddingRequest* request,
      gateway::inference::v1::EmbeddingResponse* reply) override;
  grpc::ServerUnaryReactor* ListModels(grpc::CallbackServerContext* context,
                                       const gateway::inference::v1::ListModelsRequest* request,
                                       gateway::inference::v1::ListModelsResponse* reply) override;

 private:
  InferenceServiceOptions options_;
};

}  // namespace gw::dp
