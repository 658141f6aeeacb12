// OpenAI's response bodies as the official SDKs parse them: chat.completion, the
// chat.completion.chunk SSE events of a stream, the embeddings list and the models list.
//   ChatStream s(ids, model, plan, include_usage, behaviour.chunks);
//   for (size_t i = 0; i < s.event_count(); ++i) s.AppendEvent(i, out);  // "data: ...\n\n"
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tests/fakes/chat_plan.h"

namespace gw::testing {

inline constexpr std::string_view kSystemFingerprint = "fp_f4ke0pr0v1d";

// "chatcmpl-" followed by 29 pseudo-random letters and digits.
std::string NewCompletionId();

void AppendChatCompletion(std::string& out, std::string_view id, int64_t created,
                          std::string_view model, const ChatPlan& plan);

// The events of one streamed completion: a first chunk with delta.role, one chunk per content
// piece, a chunk with finish_reason, a usage chunk with "choices": [] when include_usage, then
// "data: [DONE]". Keeps a copy of everything it needs; neither copyable nor movable because its
// pieces point into its own content.
class ChatStream {
 public:
  ChatStream(std::string id, int64_t created, std::string_view model, ChatPlan plan,
             bool include_usage, int64_t chunks);
  ChatStream(const ChatStream&) = delete;
  ChatStream& operator=(const ChatStream&) = delete;

  // Chunk events plus the final [DONE].
  size_t event_count() const { return pieces_.size() + (include_usage_ ? 4 : 3); }
  // Chunk events before the finish chunk (role chunk and content chunks).
  size_t content_event_count() const { return pieces_.size() + 1; }
  // Appends event `index` in SSE framing ("data: {...}\n\n").
  void AppendEvent(size_t index, std::string& out) const;

 private:
  void AppendChunkPrefix(std::string& out) const;

  const ChatPlan plan_;
  const bool include_usage_;
  std::string prefix_;  // {"id":...,"choices":  shared by every chunk
  std::vector<std::string_view> pieces_;
};

// One embedding input: its text (or, for token-array inputs, its tokens' decimal text) and the
// number of tokens it counts for.
struct EmbeddingInput {
  std::string text;
  int64_t tokens = 0;
};

// Unit-length vectors derived from each input's text only, so equal inputs embed equally.
// `base64` writes each vector as little-endian float32 bytes in base64, as OpenAI does for
// encoding_format "base64" (the default of the official SDKs).
void AppendEmbeddings(std::string& out, std::string_view model,
                      const std::vector<EmbeddingInput>& inputs, int64_t dimensions, bool base64);

std::vector<float> EmbeddingVector(std::string_view text, int64_t dimensions);

void AppendModelsList(std::string& out, const std::vector<std::string>& models);
void AppendModel(std::string& out, std::string_view model);

}  // namespace gw::testing
