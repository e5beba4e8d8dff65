#pragma once
// Read-only view of one baseline.json (docs/baseline_schema.md, schema "1") for the tools
// downstream of a run: gate, compare, report, INDEX. It checks the fields these tools rely on and
// names the file and the field path in every error; it keeps the whole document so reports can
// show fields it does not model. It never fills a missing number with zero.

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace statelab::gates {

inline constexpr std::string_view kBaselineSchemaVersion = "1";

struct Repetition {
  double ns_per_op = 0;
  double ops_per_sec = 0;
  int64_t iterations = 0;
};

struct Benchmark {
  std::string name;
  std::string tier;
  std::string group;
  std::string op;
  std::string engine;
  std::string mode;  // "n/a" when the benchmark ignores durability
  int threads = 1;
  boost::json::object params;
  std::vector<Repetition> repetitions;
  boost::json::object raw;  // the whole element: stats, latency, extra, counters...

  std::vector<double> NsPerOp() const;
  std::vector<double> OpsPerSec() const;
  // Median ns per op over repetitions (the statistic compare and the gates use).
  std::optional<double> MedianNs() const;
  // "tier/group/op/mode/threads/params": the identity of a cell without its engine.
  std::string CellKey() const;
  // Compact "k=v,k=v" of params, "" when none.
  std::string ParamsText() const;
};

struct Baseline {
  std::string path;  // where it was read from (for messages)
  std::string schema_version;
  std::string run_id;
  std::string created_utc;

  std::string git_commit;
  std::string git_branch;
  std::optional<bool> git_dirty;

  std::string hostname;
  std::string cpu_model;
  std::optional<int> physical_cores;
  std::optional<int> pus;
  bool reference_match = false;
  std::vector<std::string> reference_reasons;
  bool valid_as_baseline = false;
  std::vector<std::string> validity_reasons;
  std::vector<std::string> warnings;

  std::string suite;
  std::vector<std::string> engines;
  std::vector<std::string> modes;
  int repetitions = 0;
  int config_cores = 0;

  std::vector<Benchmark> benchmarks;
  boost::json::object doc;  // the whole file

  // Cores the run could use for parallel phases: config.cores (hardware threads allowed), capped
  // by the physical core count when that is known (SMT siblings do not double throughput).
  int UsableCores() const;
  // The run label from run_id "run_<date>_<time>_<commit>[_<label>]", "" when none.
  std::string Label() const;
  const boost::json::object* Environment() const;
  const Benchmark* Find(std::string_view name) const;
};

// Parses and checks a baseline document. `source` names it in messages.
[[nodiscard]] bool ParseBaseline(std::string_view text, std::string_view source, Baseline* out,
                                 std::string* error);
[[nodiscard]] bool LoadBaseline(const std::string& path, Baseline* out, std::string* error);

// A metric of one benchmark. Names: mean_ns, median_ns, stddev_ns, cv, min_ns, max_ns (stats);
// p50_ns, p90_ns, p95_ns, p99_ns, p999_ns (latency); ops_per_sec (median of the repetitions);
// or any dotted path into the benchmark ("latency.max_ns", "extra.syncs_per_commit",
// "allocs_per_op"). nullopt when absent or null.
std::optional<double> MetricValue(const Benchmark& b, std::string_view metric);

// True when `metric` is a name MetricValue understands (a known name or a dotted path under
// stats, latency, extra, counters, or a top-level per-op number).
bool IsKnownMetric(std::string_view metric);

// Two runs come from different machines when hostname or CPU model differ. `why` says which.
bool DifferentMachines(const Baseline& a, const Baseline& b, std::string* why);

}  // namespace statelab::gates
