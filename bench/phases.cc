#include "bench/phases.h"

#include <algorithm>
#include <cstddef>

namespace statelab::bench::internal {

void MergeTallies(Measure& m, std::vector<ThreadTally>& tallies, size_t measured,
                  int64_t elapsed_ns, const harness::AllocCounts& allocs) {
  CallRecord& rec = m.record();
  uint64_t committed = 0, aborts = 0, gave_up = 0, background = 0;
  uint64_t lo = UINT64_MAX, hi = 0;
  std::vector<harness::PinResult> pins;
  bool first_perf = true;
  for (size_t t = 0; t < tallies.size(); ++t) {
    ThreadTally& x = tallies[t];
    pins.push_back(x.pin);
    std::string prefix = "t";
    prefix += std::to_string(t);
    prefix += '_';
    rec.extra[prefix + "committed"] = static_cast<double>(x.committed);
    rec.extra[prefix + "aborts"] = static_cast<double>(x.aborts);
    if (t >= measured) {
      background += x.committed;
      continue;
    }
    committed += x.committed;
    aborts += x.aborts;
    gave_up += x.gave_up;
    lo = std::min(lo, x.committed);
    hi = std::max(hi, x.committed);
    rec.latency.Merge(x.latency);
    if (x.perf_measured) {
      if (first_perf) {
        rec.perf = x.perf;
        first_perf = false;
      } else {
        rec.perf.Accumulate(x.perf);
      }
    }
  }
  // A thread that never saw the measured phase has no counters: the sum would be partial.
  rec.perf_measured =
      std::all_of(tallies.begin(), tallies.begin() + static_cast<std::ptrdiff_t>(measured),
                  [](const ThreadTally& x) { return x.perf_measured; });
  rec.threads = static_cast<int>(measured);
  rec.pinning = harness::ToBaselinePinning(pins);
  for (harness::PinnedThread& p : rec.pinning.threads) {
    p.observed = tallies[static_cast<size_t>(p.thread)].observed.ToBaseline();
  }
  rec.pinning.measured_by =
      "harness threads 0-" + std::to_string(tallies.size() - 1) + ", started for the call";
  rec.extra["committed"] = static_cast<double>(committed);
  rec.extra["aborts"] = static_cast<double>(aborts);
  rec.extra["retries"] = static_cast<double>(aborts - std::min(aborts, gave_up));
  rec.extra["gave_up"] = static_cast<double>(gave_up);
  if (measured < tallies.size()) rec.extra["background_ops"] = static_cast<double>(background);
  rec.extra["fairness"] = hi == 0 ? 0.0 : static_cast<double>(lo) / static_cast<double>(hi);
  m.RecordRegion(committed, elapsed_ns, allocs);
}

}  // namespace statelab::bench::internal
