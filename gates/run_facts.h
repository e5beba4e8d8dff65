#pragma once
// A baseline.json as the downstream tools (gate, compare, reports, INDEX) use it. The file is read
// only by harness/baseline.h (the one strict reader, docs/baseline_schema.md); this adds what the
// tools derive from its model: where it came from, the environment facts they act on, and the
// cores a run could use. Plain values and pure functions; thread-safe.

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engines/api/status.h"
#include "harness/baseline.h"

namespace statelab::gates {

// A baseline read from a file.
struct RunFile {
  std::string path;  // for messages and verdict inputs
  harness::Baseline baseline;
};

// harness::ReadBaselineFile, remembering the path. The error names the file and the field path
// (or the line and column of a syntax error).
Result<RunFile> LoadRunFile(const std::string& path);

// What the tools act on in `environment`. Null or absent values stay unknown; an absent
// reference-platform or validity record reads as "no", with a reason saying it was not recorded.
struct EnvironmentFacts {
  std::string hostname;
  std::string cpu_model;
  // environment.machine (harness::kMachineFields and its fingerprint); the fingerprint is "" in
  // runs recorded before it existed.
  boost::json::object machine;
  std::string machine_fingerprint;
  std::optional<int64_t> physical_cores;
  bool reference_match = false;
  std::vector<std::string> reference_reasons;
  bool valid_as_baseline = false;
  std::vector<std::string> validity_reasons;
  std::vector<std::string> warnings;
};
EnvironmentFacts ReadEnvironmentFacts(const boost::json::object& environment);

// Cores the run could use for parallel phases: config.cores (hardware threads allowed), capped by
// the physical core count when that is known (SMT siblings do not double throughput).
int64_t UsableCores(const harness::Baseline& run);

// The label of run_id "run_<date>_<time>_<commit>[_<label>]", "" when none.
std::string RunLabel(std::string_view run_id);

// environment.harness[key] of a run: a string as it is, anything else serialized, "" when absent.
std::string HarnessValue(const harness::Baseline& run, std::string_view key);

// What the run measured: "instructions" (statelab-bench --metric instructions) or "time".
std::string RunMetric(const harness::Baseline& run);

// The first benchmark with this name, nullptr when none.
const harness::BenchmarkResult* FindBenchmark(const harness::Baseline& run, std::string_view name);

// Two runs come from different machines when their machine fingerprints differ; `why` then names
// every field of environment.machine that differs, with both values. When either run has no
// fingerprint (recorded before it existed), hostname and CPU model decide, as they did then.
bool DifferentMachines(const harness::Baseline& a, const harness::Baseline& b, std::string* why);

// How INDEX.md and messages name a run's machine: the short fingerprint, or "<hostname>, <cpu
// model> (no fingerprint)" for a run recorded before fingerprints.
std::string MachineLabel(const EnvironmentFacts& facts);

}  // namespace statelab::gates
