#pragma once
// Paired A/B verdicts (scripts/compare_baseline.sh --ab; docs/compare.md, "Paired A/B runs"). The
// runner runs revisions A and B alternately, one repetition per cell per side per pair, in a
// random order within each pair, so drift and neighbours hit both sides alike. Each cell's verdict
// comes from its per-pair ratios B/A: a percentile bootstrap confidence interval (fixed seed) of
// their median; a regression only when the whole interval lies above 1 + threshold, an improvement
// only when it lies below 1 - threshold. Pure functions over loaded runs; thread-safe.

#include <boost/json.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engines/api/status.h"
#include "gates/run_facts.h"

namespace statelab::reports {

struct PairedOptions {
  double threshold_pct = 5.0;  // the interval must lie wholly beyond 1 +- this
  double confidence = 0.95;    // of the bootstrap interval
  int resamples = 10000;
  uint64_t seed = 0x5EED;  // fixed: the same ratios always give the same interval
  int min_pairs = 5;       // fewer pairs give no verdict ("too few pairs")
};

// Percentile bootstrap interval of the median of `ratios`: the median of `resamples` resamples
// (with replacement, same size), and the (1 - confidence) / 2 and (1 + confidence) / 2 quantiles
// of those medians. `ratios` must not be empty.
struct Interval {
  double median = 1;  // of the ratios themselves
  double lo = 1;
  double hi = 1;
};
Interval BootstrapMedianInterval(std::span<const double> ratios, double confidence, int resamples,
                                 uint64_t seed);

enum class PairedVerdict { kRegression, kImprovement, kUnchanged, kTooFewPairs };
std::string_view PairedVerdictName(PairedVerdict v);

// Regression when lo > 1 + t, improvement when hi < 1 - t, else unchanged (t = threshold / 100).
PairedVerdict Decide(const Interval& interval, double threshold_pct);

struct PairedRow {
  std::string name;
  std::vector<double> ratios;  // B/A median ns per op, one per pair where both sides ran the cell
  double a_median_ns = 0;      // median over the pairs of A's values
  double b_median_ns = 0;
  Interval interval;  // meaningful when ratios.size() >= min_pairs
  PairedVerdict verdict = PairedVerdict::kTooFewPairs;
};

struct PairedResult {
  PairedOptions options;
  int pairs = 0;
  std::string a_label, b_label;  // commits (or run ids) of the sides
  std::vector<PairedRow> rows;   // cells in any pair, by name

  int Count(PairedVerdict v) const;
  // util::kExitFailed when a cell regressed, else kExitOk.
  int ExitCode() const;
};

// a[i] and b[i] are the runs of pair i. InvalidArgument when the pair counts differ or are zero.
Result<PairedResult> ComparePaired(const std::vector<gates::RunFile>& a,
                                   const std::vector<gates::RunFile>& b,
                                   const PairedOptions& options);

// Loads DIR/pair_1/baseline.json, DIR/pair_2/baseline.json, ... (until the first missing one).
// InvalidArgument when there is none; a malformed file's error names it.
Result<std::vector<gates::RunFile>> LoadPairRuns(const std::string& dir);

std::string PairedToMarkdown(const PairedResult& r);
boost::json::value PairedToJson(const PairedResult& r);

}  // namespace statelab::reports
