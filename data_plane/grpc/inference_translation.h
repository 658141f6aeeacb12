// Translation between the gRPC Inference messages and the OpenAI JSON bodies the serving pipeline
// reads and answers with, so gRPC calls run through the very same stages as HTTP requests.
//   GW_ASSIGN_OR_RETURN(std::string body, ChatRequestToJson(request, /*stream=*/false));
//   GW_ASSIGN_OR_RETURN(ChatCompletion reply, ChatCompletionFromJson(ctx.response.body));
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/inference/v1/inference.pb.h"

namespace gw::dp {

// The chat completions request body. `stream` adds `"stream": true` and asks for the usage chunk
// (the proto's ChatCompletionChunk.usage is set on the final chunk). INVALID_ARGUMENT for values
// JSON cannot carry (NaN, infinities).
absl::StatusOr<std::string> ChatRequestToJson(
    const gateway::inference::v1::ChatCompletionRequest& request, bool stream);

// The embeddings request body. INVALID_ARGUMENT for an encoding_format other than "float" (the
// proto carries vectors as floats, never base64 text).
absl::StatusOr<std::string> EmbeddingRequestToJson(
    const gateway::inference::v1::EmbeddingRequest& request);

// Responses: fields the proto lacks are dropped; `null` values read as unset. INTERNAL when the
// text is not a JSON object of the expected shape.
absl::StatusOr<gateway::inference::v1::ChatCompletion> ChatCompletionFromJson(
    absl::string_view json);
absl::StatusOr<gateway::inference::v1::ChatCompletionChunk> ChatCompletionChunkFromJson(
    absl::string_view json);
absl::StatusOr<gateway::inference::v1::EmbeddingResponse> EmbeddingResponseFromJson(
    absl::string_view json);
absl::StatusOr<gateway::inference::v1::ListModelsResponse> ListModelsFromJson(
    absl::string_view json);

}  // namespace gw::dp
