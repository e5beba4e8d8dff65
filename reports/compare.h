#pragma once
// Compares two baseline.json files benchmark by benchmark (matched by name): old and new median ns
// per op, change %, a two-sided Mann-Whitney U test over the repetitions' ns_per_op, and a verdict.
// A regression needs both a change beyond the threshold and p < alpha; a cell whose repetitions are
// unstable in either run (util/stability.h) gets the verdict "unstable" instead. Runs from
// different machines are flagged and never fail unless explicitly allowed. Statistics:
// docs/compare.md.

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gates/run_facts.h"
#include "util/stability.h"

namespace statelab::reports {

struct CompareOptions {
  double threshold_pct = 10.0;  // |change| must exceed this to count
  double alpha = 0.05;          // and the Mann-Whitney p-value must be below this
  bool allow_cross_machine = false;
};

enum class Change { kRegression, kImprovement, kUnchanged, kUnstable, kNew, kRemoved };
std::string_view ChangeName(Change c);

struct CompareRow {
  std::string name;
  std::string tier;
  std::string engine;
  std::string mode;
  std::optional<double> old_median_ns;
  std::optional<double> new_median_ns;
  std::optional<double> change_pct;  // (new - old) / old * 100; positive = slower
  std::optional<double> p_value;
  std::string method;  // "exact" / "normal"
  int n_old = 0;
  int n_new = 0;
  // Of the repetitions in each run (not judged when the run lacks the benchmark).
  util::Stability old_stability;
  util::Stability new_stability;
  Change verdict = Change::kUnchanged;
  std::string note;  // e.g. why a large change is not a regression, or why a cell is unstable
};

struct GeoSummary {
  std::string key;           // tier or engine
  int count = 0;             // benchmarks present and stable in both runs
  double geomean_ratio = 1;  // geometric mean of new/old medians (> 1 = slower)
};

struct CompareResult {
  std::string old_path, new_path;
  std::string old_run_id, new_run_id;
  std::string old_commit, new_commit;
  CompareOptions options;
  bool cross_machine = false;
  std::string cross_machine_reason;
  std::vector<std::string> notes;  // validity warnings about either run
  // The environment warnings either run recorded (load average, VM, governor, ...), each prefixed
  // with the run it came from ("old run", "new run" or "both runs").
  std::vector<std::string> environment_warnings;
  std::vector<CompareRow> rows;
  std::vector<GeoSummary> by_tier;
  std::vector<GeoSummary> by_engine;
  std::optional<GeoSummary> overall;

  int Count(Change c) const;
  // 1 when there is a regression and the runs are comparable (same machine, or allowed). Unstable
  // cells never count.
  int ExitCode() const;
};

// InvalidArgument naming every YCSB workload both runs have under one name but with different
// definitions (baseline.json `workloads`, definition_sha256): their cells measure different
// things, so compare refuses them.
Status CheckSameWorkloads(const harness::Baseline& old_run, const harness::Baseline& new_run);

CompareResult CompareBaselines(const gates::RunFile& old_run, const gates::RunFile& new_run,
                               const CompareOptions& options);

std::string CompareToMarkdown(const CompareResult& r);
boost::json::value CompareToJson(const CompareResult& r);

}  // namespace statelab::reports
