#include "util/stability.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "util/markdown.h"

namespace statelab::util {

namespace {

// Ratios and thresholds with three significant digits: 0.2 -> "0.2", 26.007 -> "26".
std::string Ratio(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3g", v);
  return buf;
}

// The qualifying split with the largest relative jump; nullopt when there is none.
std::optional<GapSplit> FindGap(const std::vector<double>& sorted) {
  const int n = static_cast<int>(sorted.size());
  std::optional<GapSplit> best;
  double best_jump = 0;
  for (int s = 2; s <= n - 2; ++s) {
    const double low_max = sorted[s - 1];
    const double high_min = sorted[s];
    if (!(low_max > 0)) continue;
    const double low_spread = low_max - sorted[0];
    const double high_spread = sorted[n - 1] - high_min;
    const double tighter = std::min(low_spread, high_spread);
    const double jump = high_min / low_max;
    if (high_min - low_max <= kBimodalGapOverSpread * tighter || jump < kBimodalMinJump) continue;
    if (best && jump <= best_jump) continue;
    best_jump = jump;
    best = GapSplit{s, n - s, sorted[0], low_max, high_min, sorted[n - 1], tighter};
  }
  return best;
}

// Measured values: whole numbers from 100 up ("19289"), three significant digits below ("73").
std::string Value(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), std::fabs(v) >= 100 ? "%.0f" : "%.3g", v);
  return buf;
}

}  // namespace

Stability JudgeStability(std::span<const double> values) {
  Stability st;
  st.n = static_cast<int>(values.size());
  st.judged = st.n >= kMinRepetitionsToJudge;
  if (st.n == 0) return st;
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  if (sorted.front() > 0) st.max_over_min = sorted.back() / sorted.front();
  if (st.n >= 2) {
    const double mean = std::accumulate(sorted.begin(), sorted.end(), 0.0) / st.n;
    double ss = 0;
    for (double v : sorted) ss += (v - mean) * (v - mean);
    if (mean > 0) st.cv = std::sqrt(ss / (st.n - 1)) / mean;
  }
  st.bimodal = FindGap(sorted);
  if (!st.judged) return st;
  if (st.cv && *st.cv > kUnstableCv) {
    st.reasons.push_back("cv " + Ratio(*st.cv) + " > " + Ratio(kUnstableCv));
  }
  if (st.max_over_min && *st.max_over_min > kUnstableMaxOverMin) {
    st.reasons.push_back("max/min " + Ratio(*st.max_over_min) + " > " + Ratio(kUnstableMaxOverMin));
  }
  if (st.bimodal) {
    const GapSplit& g = *st.bimodal;
    st.reasons.push_back(
        "bimodal: " + std::to_string(g.low_count) + " values in " + Value(g.low_min) + "-" +
        Value(g.low_max) + ", " + std::to_string(g.high_count) + " in " + Value(g.high_min) + "-" +
        Value(g.high_max) + " (gap " + Value(g.high_min - g.low_max) + " > " +
        Ratio(kBimodalGapOverSpread) + " x spread " + Value(g.tighter_spread) + ")");
  }
  st.unstable = !st.reasons.empty();
  return st;
}

std::string StabilityReason(const Stability& s) { return Join(s.reasons, "; "); }

std::string StabilityRule() {
  return "cv > " + Ratio(kUnstableCv) + ", max/min > " + Ratio(kUnstableMaxOverMin) + " or bimodal";
}

}  // namespace statelab::util
