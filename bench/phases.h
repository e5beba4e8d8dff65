#pragma once
// Multi-threaded phases on the harness's own threads (not Google Benchmark's ->Threads()): all
// threads start together, run a warm-up, then a measured phase, then drain (RunPhases); or all
// start together and each runs a fixed number of operations (RunFixedOps, YCSB's client threads).
// Throughput is the sum over threads of operations completed while each thread saw the measured
// phase, divided by the coordinator's wall time of that phase (each thread's count is exact to one
// operation at either edge). Each thread is pinned, keeps its own cache-line-aligned counters and
// histogram, and they are merged after the phase: nothing shared is written in the loop.
// Thread-safety: RunPhases is called by one thread; each body is used by its own thread only.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "bench/measure.h"

namespace statelab::bench {

// What one operation of a contention body did.
struct OpOutcome {
  bool committed = true;  // false: given up (counts as neither committed nor as an op)
  uint32_t aborts = 0;    // attempts that ended in a conflict before this outcome
};

struct PhaseSpec {
  double warmup_seconds = 0.05;
  double measure_seconds = 0.2;
  // Called on the coordinator right before the measured phase starts and after the threads
  // drained (e.g. to read engine counters); may be empty.
  std::function<void()> at_measure_start;
  std::function<void()> at_measure_end;
  // Only the first measured_threads bodies make the record (ops, latency, perf, fairness); the
  // others are background load (e.g. readers beside a writer), their ops in
  // extra.background_ops. 0 = every body.
  int measured_threads = 0;
};

namespace internal {

enum Phase : int { kWarmup = 0, kMeasure = 1, kDrain = 2 };

struct alignas(64) ThreadTally {
  uint64_t committed = 0;
  uint64_t aborts = 0;
  uint64_t gave_up = 0;
  harness::Histogram latency;
  harness::PerfSample perf;
  bool perf_measured = false;
  harness::PinResult pin;
  harness::PuSamples observed;  // every 256th op of the measured phase
};

// Merges the tallies of the first `measured` threads into m's record: ops, latency, perf and the
// extra keys committed, aborts, retries, gave_up, fairness; every thread's pinning,
// t<i>_committed / t<i>_aborts, and the others' ops as background_ops.
void MergeTallies(Measure& m, std::vector<ThreadTally>& tallies, size_t measured,
                  int64_t elapsed_ns, const harness::AllocCounts& allocs);

// One measured operation of thread `tally`: op i, its latency when i is a sample (mask = stride -
// 1), its PU every 256th op, its outcome.
template <class Body>
inline void MeasuredOp(ThreadTally& tally, Body& body, uint64_t i, uint64_t mask) {
  const bool sample = (i & mask) == 0;
  const int64_t a = sample ? harness::Timer::NowNs() : 0;
  const OpOutcome o = body(i);
  if (sample) tally.latency.Record(harness::Timer::NowNs() - a);
  if ((i & 255) == 0) tally.observed.Sample();
  tally.committed += o.committed ? 1 : 0;
  tally.gave_up += o.committed ? 0 : 1;
  tally.aborts += o.aborts;
}

// Starts tallies.size() threads, thread t pinned as the harness pins (PU t) with its own perf
// counters, and runs run(t, tally, counters) on each once all are ready and the coordinator's
// coordinate(release) called release(). The coordinator returns when every thread has ended.
template <class Run, class Coordinate>
void RunPinnedThreads(Measure& m, std::vector<ThreadTally>& tallies, Run&& run,
                      Coordinate&& coordinate) {
  const int n = static_cast<int>(tallies.size());
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  const Pinner* pinner = m.config().pinner;
  auto worker = [&](int t) {
    ThreadTally& tally = tallies[t];
    if (pinner != nullptr) tally.pin = pinner->Pin(static_cast<size_t>(t));
    harness::ThreadPerfCounters counters;
    ready.fetch_add(1, std::memory_order_acq_rel);
    while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
    run(t, tally, counters);
    if (pinner != nullptr) pinner->Unpin();
  };
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (int t = 0; t < n; ++t) threads.emplace_back(worker, t);
  while (ready.load(std::memory_order_acquire) < n) std::this_thread::yield();
  coordinate([&] { go.store(true, std::memory_order_release); });
  for (std::thread& th : threads) th.join();
}

}  // namespace internal

// Runs one warm-up / measure / drain cycle with bodies.size() threads (body t runs on thread t:
// OpOutcome body(uint64_t op_index)). Fills m's record and returns the measured phase's ns.
template <class Body>
int64_t RunPhases(Measure& m, const PhaseSpec& spec, std::vector<Body>& bodies) {
  const int n = static_cast<int>(bodies.size());
  std::vector<internal::ThreadTally> tallies(n);
  std::atomic<int> phase{internal::kWarmup};
  const uint64_t mask = m.config().sample_stride - 1;
  int64_t t0 = 0, t1 = 0;
  harness::AllocCounts allocs0, allocs1;
  internal::RunPinnedThreads(
      m, tallies,
      [&](int t, internal::ThreadTally& tally, harness::ThreadPerfCounters& counters) {
        Body& body = bodies[t];
        bool measuring = false;
        for (uint64_t i = 0;; ++i) {
          const int ph = phase.load(std::memory_order_acquire);
          if (ph == internal::kDrain) break;
          if (ph == internal::kMeasure && !measuring) {
            measuring = true;
            counters.Start();
          }
          if (measuring) {
            internal::MeasuredOp(tally, body, i, mask);
          } else {
            (void)body(i);
          }
        }
        if (measuring) {
          tally.perf = counters.Stop();
          tally.perf_measured = true;
        }
      },
      [&](auto release) {
        release();
        std::this_thread::sleep_for(std::chrono::duration<double>(spec.warmup_seconds));
        if (spec.at_measure_start) spec.at_measure_start();
        allocs0 = harness::ProcessAllocs();
        t0 = harness::Timer::NowNs();
        phase.store(internal::kMeasure, std::memory_order_release);
        std::this_thread::sleep_for(std::chrono::duration<double>(spec.measure_seconds));
        phase.store(internal::kDrain, std::memory_order_release);
        t1 = harness::Timer::NowNs();
        allocs1 = harness::ProcessAllocs();
      });
  if (spec.at_measure_end) spec.at_measure_end();
  const size_t measured =
      spec.measured_threads > 0
          ? std::min(static_cast<size_t>(spec.measured_threads), static_cast<size_t>(n))
          : static_cast<size_t>(n);
  internal::MergeTallies(m, tallies, measured, t1 - t0, allocs1 - allocs0);
  return t1 - t0;
}

// Runs bodies[t](i) for i in [0, ops[t]) on thread t (pinned as RunPhases pins), every thread
// released at once: the measured region runs from the release to the end of the last thread, so
// it is a fixed amount of work split across threads (YCSB's operationcount over threadcount
// clients), no warm-up. Fills m's record as RunPhases does and returns the region's ns.
template <class Body>
int64_t RunFixedOps(Measure& m, std::vector<Body>& bodies, const std::vector<uint64_t>& ops) {
  const int n = static_cast<int>(bodies.size());
  std::vector<internal::ThreadTally> tallies(n);
  std::vector<int64_t> ends(n, 0);  // each thread writes its own slot
  const uint64_t mask = m.config().sample_stride - 1;
  int64_t t0 = 0;
  harness::AllocCounts allocs0;
  internal::RunPinnedThreads(
      m, tallies,
      [&](int t, internal::ThreadTally& tally, harness::ThreadPerfCounters& counters) {
        Body& body = bodies[t];
        counters.Start();
        for (uint64_t i = 0; i < ops[t]; ++i) internal::MeasuredOp(tally, body, i, mask);
        ends[t] = harness::Timer::NowNs();
        tally.perf = counters.Stop();
        tally.perf_measured = true;
      },
      [&](auto release) {
        allocs0 = harness::ProcessAllocs();
        t0 = harness::Timer::NowNs();
        release();
      });
  const harness::AllocCounts allocs1 = harness::ProcessAllocs();
  const int64_t t1 = *std::max_element(ends.begin(), ends.end());
  internal::MergeTallies(m, tallies, tallies.size(), t1 - t0, allocs1 - allocs0);
  return t1 - t0;
}

}  // namespace statelab::bench
