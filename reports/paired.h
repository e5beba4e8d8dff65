#pragma once
// Paired A/B verdicts (scripts/compare_baseline.sh --ab; docs/compare.md, "Paired A/B runs"). The
// runner runs revisions A and B alternately, one repetition per cell per side per pair, in a
// random order within each pair, so drift and neighbours hit both sides alike. Each cell's verdict
// comes from its per-pair ratios B/A: an exact distribution-free confidence interval of their
// median (order statistics, the sign test inverted), at a per-cell confidence that keeps the
// chance of any false verdict over all cells and all looks of the runner below alpha (Bonferroni);
// a regression only when the whole interval lies above 1 + threshold, an improvement only when it
// lies below 1 - threshold. Pure functions over loaded runs; thread-safe.

#include <boost/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engines/api/status.h"
#include "gates/run_facts.h"

namespace statelab::reports {

struct PairedOptions {
  double threshold_pct = 5.0;  // the interval must lie wholly beyond 1 +- this
  // The chance of one or more false verdicts over the whole comparison (family-wise).
  double alpha = 0.05;
  // How many times the runner may look at the verdicts (it adds pairs for inconclusive cells
  // between looks); each look is one more chance of a false verdict, so it shares alpha.
  int looks = 1;
  int min_pairs = 5;  // fewer pairs give no verdict ("too few pairs")
};

// Exact distribution-free confidence interval of the median of `ratios` (nonempty): with the n
// values sorted, [x_(k), x_(n+1-k)] for the largest k whose coverage 1 - 2 P(Binomial(n, 1/2) < k)
// is at least `confidence`. It assumes only that the ratios are independent draws from one
// distribution. When even k = 1 (min, max) covers less than `confidence`, `attained` is false
// and [lo, hi] = [min, max].
struct Interval {
  double median = 1;  // of the ratios themselves
  double lo = 1;
  double hi = 1;
  double coverage = 0;  // the confidence the interval has
  bool attained = false;
};
Interval MedianInterval(std::span<const double> ratios, double confidence);

// kUnchanged only when the whole interval lies within 1 +- t: "no change bigger than t" is a claim
// too. An interval that straddles 1 + t or 1 - t, or one that does not reach the confidence the
// comparison needs, is kInconclusive: more pairs may decide it (the A/B runner adds pairs for
// those cells, docs/compare.md).
enum class PairedVerdict { kRegression, kImprovement, kUnchanged, kInconclusive, kTooFewPairs };
std::string_view PairedVerdictName(PairedVerdict v);

// For an attained interval: regression when lo > 1 + t, improvement when hi < 1 - t, unchanged when
// [lo, hi] lies within [1 - t, 1 + t], else inconclusive (t = threshold / 100).
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
  // Per cell: 1 - alpha / (cells x looks), the confidence each interval must reach.
  double cell_confidence = 0;
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
