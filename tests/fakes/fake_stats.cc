#include "tests/fakes/fake_stats.h"

namespace gw::testing {
namespace {

// `Stats` is FakeStats or const FakeStats.
template <typename Stats, typename Fn>
void ForEachCounter(Stats& s, Fn&& fn) {
  fn("connections", s.connections);
  fn("requests", s.requests);
  fn("chat_completions", s.chat_completions);
  fn("chat_streams", s.chat_streams);
  fn("streams_completed", s.streams_completed);
  fn("embeddings", s.embeddings);
  fn("models", s.models);
  fn("error_responses", s.error_responses);
  fn("resets", s.resets);
  fn("stalls", s.stalls);
  fn("truncations", s.truncations);
  fn("client_disconnects", s.client_disconnects);
}

}  // namespace

void FakeStats::Reset() {
  ForEachCounter(*this, [](const char*, std::atomic<int64_t>& c) { c.store(0); });
}

boost::json::object FakeStats::ToJson() const {
  boost::json::object out;
  ForEachCounter(*this, [&out](const char* name, const auto& c) { out[name] = c.load(); });
  out["active_connections"] = active_connections.load();
  return out;
}

}  // namespace gw::testing
