#include "bench/measure.h"

#include <pthread.h>
#include <valgrind/callgrind.h>

#include <algorithm>
#include <cmath>

namespace statelab::bench {

Pinner::Pinner(int cores) {
  have_startup_ = sched_getaffinity(0, sizeof startup_, &startup_) == 0;
  const size_t pus = harness::Topology::Get().PinOrder().size();
  cores_ = cores > 0 ? cores : static_cast<int>(pus);
  if (pus > 0) cores_ = std::min<int>(cores_, static_cast<int>(pus));
  cores_ = std::max(cores_, 1);
}

harness::PinResult Pinner::Pin(size_t thread_index) const {
  harness::PinResult r =
      harness::Topology::Get().PinCurrentThread(thread_index % static_cast<size_t>(cores_));
  r.oversubscribed = thread_index >= static_cast<size_t>(cores_);
  return r;
}

void Pinner::Unpin() const {
  if (have_startup_) (void)pthread_setaffinity_np(pthread_self(), sizeof startup_, &startup_);
}

uint64_t SampleStride(double ns_per_op, double timer_overhead_ns) {
  if (!(ns_per_op > 0) || !(timer_overhead_ns > 0)) return 1;
  const double want = std::ceil(100.0 * timer_overhead_ns / ns_per_op);
  uint64_t stride = 1;
  while (stride < 1024 && static_cast<double>(stride) < want) stride <<= 1;
  return stride;
}

harness::ThreadPerfCounters& ThreadCounters() {
  thread_local harness::ThreadPerfCounters counters;
  return counters;
}

Measure::Measure(benchmark::State& state, MeasureConfig cfg, CallRecord* out)
    : state_(&state), cfg_(std::move(cfg)), rec_(out) {}

Measure::Measure(uint64_t iterations, MeasureConfig cfg, CallRecord* out)
    : iterations_(iterations), cfg_(std::move(cfg)), rec_(out) {}

uint64_t Measure::planned() const noexcept {
  return state_ != nullptr ? static_cast<uint64_t>(state_->max_iterations) : iterations_;
}

void Measure::Begin() {
  ThreadCounters().Start();
  allocs_begin_ = harness::ProcessAllocs();
  // Under `valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no` (--metric
  // instructions) only the measured region is counted; elsewhere these are a few no-op
  // instructions outside the timed loop.
  CALLGRIND_START_INSTRUMENTATION;
  CALLGRIND_TOGGLE_COLLECT;
}

void Measure::End(uint64_t ops, int64_t elapsed_ns) {
  CALLGRIND_TOGGLE_COLLECT;
  CALLGRIND_STOP_INSTRUMENTATION;
  // Allocation snapshot inside the perf bracket: Stop() may allocate its reason string.
  const harness::AllocCounts allocs_end = harness::ProcessAllocs();
  rec_->perf = ThreadCounters().Stop();
  rec_->perf_measured = true;
  RecordRegion(ops, elapsed_ns, allocs_end - allocs_begin_);
}

void Measure::RecordRegion(uint64_t ops, int64_t elapsed_ns, const harness::AllocCounts& allocs) {
  rec_->ops = ops;
  rec_->elapsed_ns = elapsed_ns;
  rec_->allocs = allocs;
}

void Measure::Fail(std::string reason) {
  if (failure_.empty()) failure_ = std::move(reason);
}

}  // namespace statelab::bench
