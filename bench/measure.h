#pragma once
// How one call of a cell is measured: the timed loop (per-op latency samples into a histogram,
// every op or every Nth op), manually timed operations, and single-shot phases; allocation counts
// (process-wide, so engine threads count too) and perf counters of the measuring thread, taken
// outside the timed loop; thread pinning that never leaks into threads an engine starts.
// Nothing here allocates, formats or draws random numbers inside a timed loop. Under callgrind
// (--metric instructions) instruction collection is switched on for the measured region only.
// Thread-safety: a Measure and its CallRecord belong to the thread running the call; Pinner is
// thread-safe after construction.

#include <benchmark/benchmark.h>
#include <sched.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bench/cell.h"
#include "harness/alloc_counter.h"
#include "harness/baseline.h"
#include "harness/histogram.h"
#include "harness/perf_counters.h"
#include "harness/pinning.h"
#include "harness/placement.h"
#include "harness/timer.h"

namespace statelab::bench {

// Binds benchmark threads: thread i to the i-th PU of the pinning order (physical cores first),
// wrapping after `cores` PUs. Saves the affinity the process started with, so a thread can be
// released again (threads created by a pinned thread inherit its binding).
class Pinner {
 public:
  // cores <= 0: every PU of the pinning order.
  explicit Pinner(int cores);
  int cores() const noexcept { return cores_; }
  harness::PinResult Pin(size_t thread_index) const;
  void Unpin() const;  // the calling thread gets the startup affinity back

 private:
  int cores_ = 1;
  cpu_set_t startup_{};
  bool have_startup_ = false;
};

// Pins the calling thread for a scope (a measured region), then releases it.
class ScopedPin {
 public:
  ScopedPin(const Pinner* p, size_t thread_index, harness::PinResult* out) : p_(p) {
    if (p_ != nullptr) *out = p_->Pin(thread_index);
  }
  ~ScopedPin() {
    if (p_ != nullptr) p_->Unpin();
  }
  ScopedPin(const ScopedPin&) = delete;
  ScopedPin& operator=(const ScopedPin&) = delete;

 private:
  const Pinner* p_;
};

// Everything one call measured.
struct CallRecord {
  uint64_t ops = 0;        // operations of all threads in the measured region
  int64_t elapsed_ns = 0;  // wall time of the measured region
  int threads = 1;
  harness::Histogram latency;   // per-op samples (merged over threads)
  harness::AllocCounts allocs;  // process-wide delta over the measured region
  harness::PerfSample perf;     // summed over measuring threads
  bool perf_measured = false;
  harness::Pinning pinning;
  harness::PuSamples observed;  // the measuring thread's PU, every 4096th op of Loop / Timed op
  std::map<std::string, double> extra;
};

struct MeasureConfig {
  double timer_overhead_ns = 0;
  uint64_t sample_stride = 1;  // a power of two: Loop samples ops i with i % stride == 0
  const Pinner* pinner = nullptr;
  CellContext cell;
};

// Sampling stride for an operation of `ns_per_op`: sampling adds at most ~1% to the loop's mean
// (timer pair cost x 1/stride <= 1% of the op), so ops under ~100 ns get their mean from batch
// timing and their tail from every Nth op. Power of two in [1, 1024].
uint64_t SampleStride(double ns_per_op, double timer_overhead_ns);

// The calling thread's perf counters (opened once per thread).
harness::ThreadPerfCounters& ThreadCounters();

class Measure {
 public:
  // Under Google Benchmark: iterations come from `state`.
  Measure(benchmark::State& state, MeasureConfig cfg, CallRecord* out);
  // Without it (tests): exactly `iterations` operations.
  Measure(uint64_t iterations, MeasureConfig cfg, CallRecord* out);
  Measure(const Measure&) = delete;
  Measure& operator=(const Measure&) = delete;

  // Operations this call will run: pre-generate at least this many distinct inputs.
  uint64_t planned() const noexcept;
  const MeasureConfig& config() const noexcept { return cfg_; }
  CallRecord& record() noexcept { return *rec_; }

  // A timed loop: op(i) for i = 0, 1, ...; wall time over the whole loop, latency of every
  // stride-th op.
  template <class Op>
  void Loop(Op&& op);
  // op(i) -> int64_t ns of its timed part (work before or after that part is not timed, e.g.
  // closing an engine after timing its recovery). Every op is a latency sample.
  template <class Op>
  void Timed(Op&& op);
  // One phase per call: fn() measures a region itself (RecordRegion, histogram, extra) and returns
  // its elapsed ns.
  template <class Fn>
  void Once(Fn&& fn);

  // For Once(): a region measured by the caller.
  void RecordRegion(uint64_t ops, int64_t elapsed_ns, const harness::AllocCounts& allocs);
  void Extra(const std::string& key, double value) { rec_->extra[key] = value; }
  // Marks the call failed (reported as a failed cell with the reason); the loop still has to run
  // for Google Benchmark, so ops after a failure are not measured.
  void Fail(std::string reason);
  bool failed() const noexcept { return !failure_.empty(); }
  const std::string& failure() const noexcept { return failure_; }

 private:
  void Begin();
  void End(uint64_t ops, int64_t elapsed_ns);

  benchmark::State* state_ = nullptr;
  uint64_t iterations_ = 0;
  MeasureConfig cfg_;
  CallRecord* rec_;
  std::string failure_;
  harness::AllocCounts allocs_begin_;
};

template <class Op>
void Measure::Loop(Op&& op) {
  const uint64_t mask = cfg_.sample_stride - 1;
  harness::Histogram& h = rec_->latency;
  uint64_t i = 0;
  auto step = [&](uint64_t n) __attribute__((always_inline)) {
    if ((n & mask) == 0) {
      const int64_t a = harness::Timer::NowNs();
      op(n);
      h.Record(harness::Timer::NowNs() - a);
      if ((n & 4095) == 0) rec_->observed.Sample();
    } else {
      op(n);
    }
  };
  Begin();
  const int64_t t0 = harness::Timer::NowNs();
  if (state_ != nullptr) {
    for (auto _ : *state_) step(i++);
  } else {
    while (i < iterations_) step(i++);
  }
  const int64_t t1 = harness::Timer::NowNs();
  End(i, t1 - t0);
}

template <class Op>
void Measure::Timed(Op&& op) {
  harness::Histogram& h = rec_->latency;
  uint64_t i = 0;
  int64_t total = 0;
  auto step = [&](uint64_t n) -> int64_t {
    const int64_t ns = op(n);
    h.Record(ns);
    rec_->observed.Sample();
    total += ns;
    return ns;
  };
  Begin();
  if (state_ != nullptr) {
    for (auto _ : *state_) state_->SetIterationTime(static_cast<double>(step(i++)) * 1e-9);
  } else {
    while (i < iterations_) step(i++);
  }
  End(i, total);
}

template <class Fn>
void Measure::Once(Fn&& fn) {
  if (state_ != nullptr) {
    for (auto _ : *state_) state_->SetIterationTime(static_cast<double>(fn()) * 1e-9);
  } else {
    (void)fn();
  }
}

}  // namespace statelab::bench
