// Everything the fake provider's threads share: fixed options, the current default behaviour,
// the request recorder and the counters.
//   FakeProviderState state(options);  state.stats.requests.load();
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "tests/fakes/behaviour.h"
#include "tests/fakes/behaviour_store.h"
#include "tests/fakes/fake_stats.h"
#include "tests/fakes/recorder.h"

namespace gw::testing {

struct FakeProviderOptions {
  // Requests to /v1/* must carry "Authorization: Bearer <expected_key>"; empty: no check.
  std::string expected_key;
  // GET /v1/models lists these.
  std::vector<std::string> models = {"gpt-4o-mini", "gpt-4o", "text-embedding-3-small"};
  // How many /v1/* requests GET /_fake/requests keeps; 0 records nothing.
  size_t record_capacity = 100;
  Behaviour defaults;
};

struct FakeProviderState {
  explicit FakeProviderState(FakeProviderOptions opts)
      : options(std::move(opts)), behaviours(options.defaults), recorder(options.record_capacity) {}

  const FakeProviderOptions options;
  BehaviourStore behaviours;
  Recorder recorder;
  FakeStats stats;
};

}  // namespace gw::testing
