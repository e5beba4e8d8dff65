#pragma once
// Runs catalogue cells: through Google Benchmark (registration, iteration estimates, repetitions,
// its JSON output) or directly (tests), and turns each cell's calls into a baseline.json result:
// repetitions, stats, merged latency percentiles, allocations and counters per op, extra{}.
// Thread-safety: one run at a time, driven from one thread.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/cell.h"
#include "bench/measure.h"
#include "harness/baseline.h"
#include "harness/derived.h"

namespace statelab::bench {

struct RunnerConfig {
  int repetitions = 5;
  double min_time = 0.02;  // seconds per repetition of kLoop / kManual cells
  double timer_overhead_ns = 0;
  const Pinner* pinner = nullptr;
  uint64_t seed = 0;
  std::string data_root;
  Suite suite = Suite::kQuick;
  std::string gbench_json;  // Google Benchmark's own JSON output path; "" = none
  bool progress = true;     // one line per finished cell on stdout
};

struct RunOutcome {
  std::vector<harness::BenchmarkResult> results;  // one per cell that ran
  std::vector<SkippedCell> failed;                // cells that failed, with the reason
};

// The per-cell context (data dir, seed derived from the run seed and the name, phase lengths).
CellContext MakeCellContext(const CellDef& cell, size_t index, const RunnerConfig& cfg);

// Registers `cells` with Google Benchmark and runs them.
RunOutcome RunWithGoogleBenchmark(const std::vector<CellDef>& cells, const RunnerConfig& cfg);

// Runs one cell without Google Benchmark: `calls` calls of `iterations` operations each (single
// shot cells: one phase per call). For tests; the fixture is returned for inspection.
struct DirectRun {
  std::unique_ptr<Fixture> fixture;  // null when the factory failed
  std::string error;                 // factory or measurement failure
  std::vector<std::unique_ptr<CallRecord>> calls;
  harness::BenchmarkResult result;  // valid when error is empty
};
DirectRun RunDirect(const CellDef& cell, const RunnerConfig& cfg, uint64_t iterations, int calls);

}  // namespace statelab::bench
