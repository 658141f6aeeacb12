#include "tests/fakes/openai_wire.h"

#include <cmath>
#include <random>

#include "tests/fakes/json_text.h"
#include "tests/fakes/token_count.h"

namespace gw::testing {
namespace {

constexpr int64_t kModelCreated = 1715367049;

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t Fnv1a(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

void AppendUsage(std::string& out, const ChatPlan& plan) {
  out.append("{\"prompt_tokens\":");
  AppendInt(out, plan.prompt_tokens);
  out.append(",\"completion_tokens\":");
  AppendInt(out, plan.completion_tokens);
  out.append(",\"total_tokens\":");
  AppendInt(out, plan.prompt_tokens + plan.completion_tokens);
  out.append(",\"prompt_tokens_details\":{\"cached_tokens\":");
  AppendInt(out, plan.cached_tokens);
  out.append(
      ",\"audio_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0,"
      "\"audio_tokens\":0,\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}");
}

void AppendBase64(std::string& out, const unsigned char* data, size_t size) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i = 0;
  for (; i + 2 < size; i += 3) {
    const uint32_t n = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(kAlphabet[(n >> 6) & 63]);
    out.push_back(kAlphabet[n & 63]);
  }
  if (i + 1 == size) {
    const uint32_t n = uint32_t{data[i]} << 16;
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.append("==");
  } else if (i + 2 == size) {
    const uint32_t n = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8);
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(kAlphabet[(n >> 6) & 63]);
    out.push_back('=');
  }
}

}  // namespace

std::string NewCompletionId() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  // Per thread, so server threads share no cache line; 64 random bits make collisions between
  // the threads' sequences practically impossible.
  thread_local uint64_t counter =
      (uint64_t{std::random_device{}()} << 32) ^ uint64_t { std::random_device{}() };
  uint64_t state = counter++;
  std::string id = "chatcmpl-";
  for (int i = 0; i < 29; ++i) {
    state = SplitMix64(state);
    id.push_back(kAlphabet[state % 62]);
  }
  return id;
}

void AppendChatCompletion(std::string& out, std::string_view id, int64_t created,
                          std::string_view model, const ChatPlan& plan) {
  out.append("{\"id\":");
  AppendJsonString(out, id);
  out.append(",\"object\":\"chat.completion\",\"created\":");
  AppendInt(out, created);
  out.append(",\"model\":");
  AppendJsonString(out, model);
  out.append(",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":");
  AppendJsonString(out, plan.content);
  out.append(",\"refusal\":null,\"annotations\":[]},\"logprobs\":null,\"finish_reason\":");
  AppendJsonString(out, plan.finish_reason);
  out.append("}],\"usage\":");
  AppendUsage(out, plan);
  out.append(",\"service_tier\":\"default\",\"system_fingerprint\":");
  AppendJsonString(out, kSystemFingerprint);
  out.append("}");
}

ChatStream::ChatStream(std::string id, int64_t created, std::string_view model, ChatPlan plan,
                       bool include_usage, int64_t chunks)
    : plan_(std::move(plan)), include_usage_(include_usage) {
  prefix_.append("{\"id\":");
  AppendJsonString(prefix_, id);
  prefix_.append(",\"object\":\"chat.completion.chunk\",\"created\":");
  AppendInt(prefix_, created);
  prefix_.append(",\"model\":");
  AppendJsonString(prefix_, model);
  prefix_.append(",\"service_tier\":\"default\",\"system_fingerprint\":");
  AppendJsonString(prefix_, kSystemFingerprint);
  prefix_.append(",\"choices\":");
  pieces_ = SplitIntoPieces(plan_.content, chunks);
}

void ChatStream::AppendChunkPrefix(std::string& out) const {
  out.append("data: ");
  out.append(prefix_);
}

void ChatStream::AppendEvent(size_t index, std::string& out) const {
  // OpenAI puts "usage": null on every chunk but the last when usage was asked for.
  const std::string_view no_usage = include_usage_ ? ",\"usage\":null}\n\n" : "}\n\n";
  if (index == 0) {
    AppendChunkPrefix(out);
    out.append(
        "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},"
        "\"logprobs\":null,\"finish_reason\":null}]");
    out.append(no_usage);
  } else if (index <= pieces_.size()) {
    AppendChunkPrefix(out);
    out.append("[{\"index\":0,\"delta\":{\"content\":");
    AppendJsonString(out, pieces_[index - 1]);
    out.append("},\"logprobs\":null,\"finish_reason\":null}]");
    out.append(no_usage);
  } else if (index == pieces_.size() + 1) {
    AppendChunkPrefix(out);
    out.append("[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":");
    AppendJsonString(out, plan_.finish_reason);
    out.append("}]");
    out.append(no_usage);
  } else if (include_usage_ && index == pieces_.size() + 2) {
    AppendChunkPrefix(out);
    out.append("[],\"usage\":");
    AppendUsage(out, plan_);
    out.append("}\n\n");
  } else {
    out.append("data: [DONE]\n\n");
  }
}

std::vector<float> EmbeddingVector(std::string_view text, int64_t dimensions) {
  std::vector<float> v(static_cast<size_t>(std::max<int64_t>(dimensions, 1)));
  const uint64_t seed = Fnv1a(text);
  double norm = 0;
  for (size_t j = 0; j < v.size(); ++j) {
    const uint64_t bits = SplitMix64(seed + j);
    // Uniform in [-1, 1), never all zero in practice.
    const double x = static_cast<double>(bits >> 11) * 0x1.0p-52 - 1.0;
    v[j] = static_cast<float>(x);
    norm += x * x;
  }
  norm = std::sqrt(norm);
  if (norm > 0) {
    for (float& x : v) x = static_cast<float>(x / norm);
  }
  return v;
}

void AppendEmbeddings(std::string& out, std::string_view model,
                      const std::vector<EmbeddingInput>& inputs, int64_t dimensions, bool base64) {
  int64_t tokens = 0;
  out.append("{\"object\":\"list\",\"data\":[");
  for (size_t i = 0; i < inputs.size(); ++i) {
    tokens += inputs[i].tokens;
    if (i > 0) out.push_back(',');
    out.append("{\"object\":\"embedding\",\"index\":");
    AppendInt(out, static_cast<int64_t>(i));
    out.append(",\"embedding\":");
    const std::vector<float> v = EmbeddingVector(inputs[i].text, dimensions);
    if (base64) {
      // The float32 bytes as they are in memory: x86-64 and arm64 are little-endian.
      out.push_back('"');
      AppendBase64(out, reinterpret_cast<const unsigned char*>(v.data()), v.size() * sizeof(float));
      out.push_back('"');
    } else {
      out.push_back('[');
      for (size_t j = 0; j < v.size(); ++j) {
        if (j > 0) out.push_back(',');
        AppendFloat(out, v[j]);
      }
      out.push_back(']');
    }
    out.push_back('}');
  }
  out.append("],\"model\":");
  AppendJsonString(out, model);
  out.append(",\"usage\":{\"prompt_tokens\":");
  AppendInt(out, tokens);
  out.append(",\"total_tokens\":");
  AppendInt(out, tokens);
  out.append("}}");
}

void AppendModel(std::string& out, std::string_view model) {
  out.append("{\"id\":");
  AppendJsonString(out, model);
  out.append(",\"object\":\"model\",\"created\":");
  AppendInt(out, kModelCreated);
  out.append(",\"owned_by\":\"system\"}");
}

void AppendModelsList(std::string& out, const std::vector<std::string>& models) {
  out.append("{\"object\":\"list\",\"data\":[");
  for (size_t i = 0; i < models.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendModel(out, models[i]);
  }
  out.append("]}");
}

}  // namespace gw::testing
