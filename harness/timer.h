#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>

namespace statelab::harness {

// Clock choice: std::chrono::steady_clock (clock_gettime(CLOCK_MONOTONIC) through the vDSO), not a
// calibrated rdtscp. rdtscp is ~2x cheaper, but its tick rate must be calibrated against a clock
// anyway, it is only trustworthy with an invariant TSC, and under a hypervisor (our CI VMs) the
// TSC may be emulated or rescaled on migration, which silently skews every number. steady_clock is
// correct on every core and in every VM, costs ~15-30 ns per call with a TSC clocksource, and the
// cost is not hidden: MeasureTimerOverheadNs() is reported next to every latency percentile, and
// operations cheaper than ~100 ns take their mean from batch timing, not from per-op samples.

// Stateless; thread-safe.
class Timer {
 public:
  using Clock = std::chrono::steady_clock;

  // Nanoseconds since an arbitrary fixed origin; only differences are meaningful.
  static int64_t NowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
        .count();
  }
};

// Cost in ns of one back-to-back NowNs() pair, i.e. what one per-operation latency sample adds to
// the timed loop. Median of `rounds` rounds of `pairs` pairs each, so one preemption does not
// inflate it. Thread-safe; takes roughly rounds * pairs * 50 ns.
inline double MeasureTimerOverheadNs(int pairs = 20000, int rounds = 7) {
  constexpr int kMaxRounds = 31;
  rounds = std::clamp(rounds, 1, kMaxRounds);
  pairs = std::max(pairs, 1);
  std::array<double, kMaxRounds> per_pair{};
  int64_t sink = 0;
  for (int r = 0; r < rounds; ++r) {
    const int64_t begin = Timer::NowNs();
    for (int i = 0; i < pairs; ++i) {
      const int64_t a = Timer::NowNs();
      const int64_t b = Timer::NowNs();
      sink += b - a;  // Consumed below, so the calls cannot be dropped.
    }
    const int64_t end = Timer::NowNs();
    per_pair[r] = static_cast<double>(end - begin) / pairs;
  }
  // Keep `sink` observable without a volatile store in the loop.
  asm volatile("" : : "r"(sink) : "memory");
  std::sort(per_pair.begin(), per_pair.begin() + rounds);
  return per_pair[rounds / 2];
}

}  // namespace statelab::harness
