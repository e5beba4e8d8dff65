// The stability verdict (util/stability.h): the issue's bimodal example, tight samples, and each
// threshold on its own.

#include "util/stability.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace statelab::util {
namespace {

bool HasReason(const Stability& s, const std::string& prefix) {
  for (const auto& r : s.reasons) {
    if (r.starts_with(prefix)) return true;
  }
  return false;
}

TEST(Stability, IssueExampleIsUnstableOnEveryCount) {
  const std::vector<double> ns = {46086, 21134, 1781, 1772, 1845};
  const Stability s = JudgeStability(ns);
  EXPECT_EQ(s.n, 5);
  EXPECT_TRUE(s.judged);
  EXPECT_TRUE(s.unstable);
  ASSERT_TRUE(s.cv.has_value());
  EXPECT_GT(*s.cv, 1.0);
  ASSERT_TRUE(s.max_over_min.has_value());
  EXPECT_NEAR(*s.max_over_min, 46086.0 / 1772.0, 1e-9);
  ASSERT_TRUE(s.bimodal.has_value());
  EXPECT_EQ(s.bimodal->low_count, 3);
  EXPECT_EQ(s.bimodal->high_count, 2);
  EXPECT_EQ(s.bimodal->low_max, 1845);
  EXPECT_EQ(s.bimodal->high_min, 21134);
  EXPECT_EQ(s.bimodal->tighter_spread, 1845 - 1772);
  EXPECT_TRUE(HasReason(s, "cv "));
  EXPECT_TRUE(HasReason(s, "max/min 26 > 2"));
  EXPECT_TRUE(
      HasReason(s, "bimodal: 3 values in 1772-1845, 2 in 21134-46086 (gap 19289 > 3 x spread 73)"))
      << StabilityReason(s);
}

TEST(Stability, TightSamplesAreStable) {
  for (const std::vector<double>& ns :
       {std::vector<double>{1000, 980, 1010, 990, 1020}, std::vector<double>{300, 294, 303},
        std::vector<double>{1772, 1781, 1845, 1900, 1950},
        std::vector<double>{100, 101, 102, 103, 104, 105, 106, 107, 110}}) {
    const Stability s = JudgeStability(ns);
    EXPECT_TRUE(s.judged);
    EXPECT_FALSE(s.unstable) << StabilityReason(s);
    EXPECT_FALSE(s.bimodal.has_value());
    EXPECT_TRUE(s.reasons.empty());
    EXPECT_EQ(StabilityReason(s), "");
  }
}

TEST(Stability, TwoLevelsAreBimodalEvenWhenCvAndMaxMinPass) {
  // 3 repetitions near 1000, 2 near 1300: cv 0.15 and max/min 1.3 pass, the 30% step does not.
  const Stability s = JudgeStability(std::vector<double>{1000, 1000, 1005, 1300, 1302});
  EXPECT_LT(*s.cv, kUnstableCv);
  EXPECT_LT(*s.max_over_min, kUnstableMaxOverMin);
  ASSERT_TRUE(s.bimodal.has_value());
  EXPECT_TRUE(s.unstable);
  ASSERT_EQ(s.reasons.size(), 1u);
  EXPECT_TRUE(HasReason(s, "bimodal")) << StabilityReason(s);
}

TEST(Stability, TightGroupsAFewPercentApartAreNotBimodal) {
  // The jump is far larger than either group's spread, but only 4%: below the 20% step.
  const Stability s = JudgeStability(std::vector<double>{1000, 1001, 1001, 1040, 1041});
  EXPECT_FALSE(s.bimodal.has_value());
  EXPECT_FALSE(s.unstable);
}

TEST(Stability, OneOutlierIsNotACluster) {
  // A cluster needs two values: one slow repetition trips the cv, not the gap test.
  const Stability s = JudgeStability(std::vector<double>{100, 101, 102, 103, 180});
  EXPECT_FALSE(s.bimodal.has_value());
  EXPECT_TRUE(s.unstable);
  EXPECT_TRUE(HasReason(s, "cv 0.3 > 0.2")) << StabilityReason(s);
  EXPECT_FALSE(HasReason(s, "max/min"));
}

TEST(Stability, MaxOverMinAloneMakesACellUnstable) {
  // cv 0.16 passes; the slowest repetition at 2.62x the fastest does not.
  const Stability s = JudgeStability(std::vector<double>{100, 240, 245, 248, 250, 250, 252, 255,
                                                         260, 262, 250, 251, 249, 253, 247, 250});
  EXPECT_LT(*s.cv, kUnstableCv);
  EXPECT_NEAR(*s.max_over_min, 2.62, 1e-12);
  EXPECT_FALSE(s.bimodal.has_value());
  EXPECT_TRUE(s.unstable);
  EXPECT_EQ(StabilityReason(s), "max/min 2.62 > 2");
}

TEST(Stability, TooFewRepetitionsAreNotJudged) {
  Stability s = JudgeStability(std::vector<double>{});
  EXPECT_FALSE(s.judged);
  EXPECT_FALSE(s.unstable);
  EXPECT_FALSE(s.cv.has_value());
  EXPECT_FALSE(s.max_over_min.has_value());
  s = JudgeStability(std::vector<double>{1234});
  EXPECT_EQ(s.n, 1);
  EXPECT_FALSE(s.judged);
  EXPECT_FALSE(s.unstable);
  EXPECT_FALSE(s.cv.has_value());
  // Two repetitions far apart are judged: max/min 2.5.
  s = JudgeStability(std::vector<double>{100, 250});
  EXPECT_TRUE(s.judged);
  EXPECT_TRUE(s.unstable);
}

TEST(Stability, ZeroValuesHaveNoMaxOverMin) {
  const Stability s = JudgeStability(std::vector<double>{0, 0, 0});
  EXPECT_FALSE(s.max_over_min.has_value());
  EXPECT_FALSE(s.cv.has_value()) << "mean 0: no cv";
  EXPECT_FALSE(s.unstable);
}

}  // namespace
}  // namespace statelab::util
