#pragma once
// The stability verdict of one cell from its repetitions: spread (cv, max/min) and a gap test for
// bimodality. Repetitions that disagree this much have no single speed to compare, so compare
// reports such a cell as unstable instead of a regression, improvement or unchanged, and the
// reports mark it. Definitions and the choice of thresholds: docs/compare.md#stability.
// Pure functions; thread-safe.

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace statelab::util {

// Unstable when any of these is exceeded.
inline constexpr double kUnstableCv = 0.20;           // sample stddev / mean
inline constexpr double kUnstableMaxOverMin = 2.0;    // slowest / fastest repetition
inline constexpr double kBimodalGapOverSpread = 3.0;  // jump / the tighter cluster's spread
inline constexpr double kBimodalMinJump = 1.2;        // upper cluster's min / lower cluster's max
// Fewer repetitions than this are not judged (no spread to speak of).
inline constexpr int kMinRepetitionsToJudge = 2;

// Sorted repetitions split into two clusters (each of at least two values) at a jump.
struct GapSplit {
  int low_count = 0;
  int high_count = 0;
  double low_min = 0, low_max = 0;
  double high_min = 0, high_max = 0;
  double tighter_spread = 0;  // min(low_max - low_min, high_max - high_min)
};

struct Stability {
  int n = 0;
  bool judged = false;                 // n >= kMinRepetitionsToJudge
  std::optional<double> cv;            // sample stddev / mean; nullopt with n < 2 or mean <= 0
  std::optional<double> max_over_min;  // nullopt with n == 0 or a value <= 0
  std::optional<GapSplit> bimodal;     // the split with the largest jump; nullopt when none
  bool unstable = false;
  std::vector<std::string> reasons;  // one per exceeded threshold, e.g. "cv 1.36 > 0.2"
};

// Judges repetitions (e.g. ns per op). Bimodal: after sorting, some split into a lower and an
// upper cluster of >= 2 values each, where the jump (upper min - lower max) is > 3 x the tighter
// cluster's spread and the upper min is >= 1.2 x the lower max (a 20% step, so two tight groups a
// few ns apart never count).
Stability JudgeStability(std::span<const double> values);

// "cv 1.36 > 0.2; max/min 26 > 2; bimodal: ..." or "" when stable.
std::string StabilityReason(const Stability& s);

// The rule in words for report headers: "cv > 0.2, max/min > 2 or bimodal".
std::string StabilityRule();

}  // namespace statelab::util
