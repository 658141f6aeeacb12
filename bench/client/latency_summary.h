// Percentiles of a set of durations in microseconds, for the generators' one-line reports.
//   LatencySummary s(std::move(samples_us));  s.Percentile(99.0);
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

namespace gw::bench {

class LatencySummary {
 public:
  explicit LatencySummary(std::vector<int64_t> samples_us) : samples_(std::move(samples_us)) {
    std::sort(samples_.begin(), samples_.end());
  }

  size_t count() const { return samples_.size(); }

  // Nearest-rank percentile (p in [0, 100]); 0 when there are no samples.
  int64_t Percentile(double p) const {
    if (samples_.empty()) return 0;
    const double rank = std::ceil(p / 100.0 * static_cast<double>(samples_.size()));
    const size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
    return samples_[std::min(index, samples_.size() - 1)];
  }

  int64_t Max() const { return samples_.empty() ? 0 : samples_.back(); }

 private:
  std::vector<int64_t> samples_;
};

}  // namespace gw::bench
