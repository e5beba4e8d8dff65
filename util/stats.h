#pragma once
// Small statistics shared by baseline.json's stats, the gate (regression rules) and compare: the
// median, the geometric mean and the two-sided Mann-Whitney U test over repetitions. See
// docs/compare.md for the definitions. Pure functions; thread-safe.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace statelab::util {

// The median (the mean of the two middle values for an even count); std::nullopt when `values` is
// empty. Every reader that must agree with baseline.json's stats.median_ns uses this one.
std::optional<double> Median(std::span<const double> values);

// Geometric mean of positive values; nullopt when empty or any value is <= 0.
std::optional<double> GeometricMean(std::span<const double> xs);

struct MannWhitneyResult {
  // U of the second sample ("new"): the number of (a, b) pairs with b > a, ties counting one half.
  // Large U means the second sample tends to be larger (slower when the values are ns per op).
  double u = 0;
  double p_value = 1;  // two-sided
  // "exact" (conditional permutation distribution, ties included), "normal" (continuity and tie
  // corrected approximation) or "none" (a sample is empty).
  std::string_view method = "none";
};

// Samples with at most this many values in total use the exact distribution.
inline constexpr int kMannWhitneyExactMaxN = 50;

// Two-sided Mann-Whitney U test of a (e.g. old repetitions) against b (new repetitions).
// Exact: the rank sum of `a` over all C(n, n_a) equally likely splits of the pooled midranks
// (so ties are handled exactly), p = min(1, 2 * min(P(W <= w), P(W >= w))).
// Normal: z = (|U - n_a n_b / 2| - 0.5) / sigma with the tie-corrected variance.
MannWhitneyResult MannWhitneyU(std::span<const double> a, std::span<const double> b);

// The smallest two-sided p-value the exact test can produce for these sample sizes when there are
// no ties (2 / C(n_a + n_b, n_a), capped at 1). If it is not below alpha, no difference can be
// significant, whatever the data.
double MinTwoSidedP(int n_a, int n_b);

}  // namespace statelab::util
