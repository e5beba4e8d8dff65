// Median, geometric mean and Mann-Whitney U against values computed by hand (the enumerations are
// written out in the comments).

#include "util/stats.h"

#include <gtest/gtest.h>

#include <vector>

namespace statelab::util {
namespace {

TEST(MedianTest, OddEvenEmpty) {
  EXPECT_EQ(*Median(std::vector<double>{3, 1, 2}), 2);
  EXPECT_EQ(*Median(std::vector<double>{4, 1, 3, 2}), 2.5);
  EXPECT_FALSE(Median(std::vector<double>{}).has_value());
}

TEST(GeometricMeanTest, Values) {
  EXPECT_DOUBLE_EQ(*GeometricMean(std::vector<double>{1, 4}), 2.0);
  EXPECT_DOUBLE_EQ(*GeometricMean(std::vector<double>{0.5, 2, 8}), 2.0);
  EXPECT_FALSE(GeometricMean(std::vector<double>{1, 0}).has_value());
  EXPECT_FALSE(GeometricMean(std::vector<double>{}).has_value());
}

TEST(MannWhitneyTest, ThreeVsThreeSeparated) {
  // All 9 pairs have b > a: U_b = 9. Rank sum of a = 1+2+3 = 6 is the smallest of the C(6,3) = 20
  // equally likely sums: P(W <= 6) = 1/20, two-sided p = 2/20.
  const auto r = MannWhitneyU(std::vector<double>{1, 2, 3}, std::vector<double>{4, 5, 6});
  EXPECT_EQ(r.u, 9);
  EXPECT_EQ(r.method, "exact");
  EXPECT_NEAR(r.p_value, 0.1, 1e-12);
}

TEST(MannWhitneyTest, FiveVsFiveSeparatedIsSignificant) {
  // 1 of C(10,5) = 252 splits is this extreme on each side: p = 2/252 = 0.0079 < 0.05.
  const auto r = MannWhitneyU(std::vector<double>{100, 101, 102, 103, 104},
                              std::vector<double>{200, 202, 204, 206, 208});
  EXPECT_EQ(r.u, 25);
  EXPECT_NEAR(r.p_value, 2.0 / 252.0, 1e-12);
  EXPECT_NEAR(MinTwoSidedP(5, 5), 2.0 / 252.0, 1e-12);
  EXPECT_NEAR(MinTwoSidedP(3, 3), 0.1, 1e-12);
}

TEST(MannWhitneyTest, Interleaved) {
  // a = {10, 20, 30} has ranks 1, 3, 5: W = 9, U_b = 6. Rank sums of 3 of 6 (no ties):
  // 6:1 7:1 8:2 9:3 10:3 11:3 12:3 13:2 14:1 15:1. P(W <= 9) = 7/20, P(W >= 9) = 16/20,
  // two-sided p = 2 * 7/20 = 0.7.
  const auto r = MannWhitneyU(std::vector<double>{10, 20, 30}, std::vector<double>{15, 25, 35});
  EXPECT_EQ(r.u, 6);
  EXPECT_NEAR(r.p_value, 0.7, 1e-12);
}

TEST(MannWhitneyTest, TiesExactConditionalDistribution) {
  // Pooled {1,2,2 | 2,3,4}: midranks 1, 3, 3, 3, 5, 6. U_b = 3 + 2.5 + 2.5 = 8. Doubled rank sum
  // of a = 2 + 6 + 6 = 14. Of the 20 ways to pick 3 of the doubled ranks {2,6,6,6,10,12}, only
  // {2,6,6} (3 ways) sum to <= 14: P(W <= w) = 3/20, p = 2 * 3/20 = 0.3.
  const auto r = MannWhitneyU(std::vector<double>{1, 2, 2}, std::vector<double>{2, 3, 4});
  EXPECT_EQ(r.u, 8);
  EXPECT_EQ(r.method, "exact");
  EXPECT_NEAR(r.p_value, 0.3, 1e-12);
}

TEST(MannWhitneyTest, IdenticalSamplesHavePOne) {
  const auto r = MannWhitneyU(std::vector<double>{1, 2, 3}, std::vector<double>{1, 2, 3});
  EXPECT_EQ(r.u, 4.5);
  EXPECT_NEAR(r.p_value, 1.0, 1e-12);
  const auto all_tied = MannWhitneyU(std::vector<double>{5, 5}, std::vector<double>{5, 5, 5});
  EXPECT_NEAR(all_tied.p_value, 1.0, 1e-12);
}

TEST(MannWhitneyTest, NormalApproximationForLargeSamples) {
  // a = 1..30, b = 31..60 (60 values > 50: normal). U_b = 900, mu = 450,
  // var = 30*30/12 * 61 = 4575, z = (450 - 0.5) / sqrt(4575) = 6.6457, p = erfc(z / sqrt 2).
  std::vector<double> a, b;
  for (int i = 1; i <= 30; ++i) a.push_back(i);
  for (int i = 31; i <= 60; ++i) b.push_back(i);
  const auto r = MannWhitneyU(a, b);
  EXPECT_EQ(r.method, "normal");
  EXPECT_EQ(r.u, 900);
  EXPECT_NEAR(r.p_value, 3.019859359162151e-11, 1e-15);
}

TEST(MannWhitneyTest, NormalApproximationWithTieCorrection) {
  // a = 20 x 1, 10 x 2; b = 10 x 2, 20 x 3. U_b = 20*30 + 10*20 + 10*10*0.5 = 850.
  // Three tie groups of 20: var = 900/12 * (61 - 3*(8000-20)/(60*59)) = 4067.797,
  // z = (400 - 0.5) / sqrt(var), p = erfc(z / sqrt 2) = 3.7573e-10.
  std::vector<double> a(20, 1.0), b(10, 2.0);
  a.insert(a.end(), 10, 2.0);
  b.insert(b.end(), 20, 3.0);
  const auto r = MannWhitneyU(a, b);
  EXPECT_EQ(r.u, 850);
  EXPECT_NEAR(r.p_value, 3.7573211293900104e-10, 1e-14);
}

TEST(MannWhitneyTest, EmptySample) {
  const auto r = MannWhitneyU(std::vector<double>{}, std::vector<double>{1, 2});
  EXPECT_EQ(r.method, "none");
  EXPECT_EQ(r.p_value, 1.0);
}

}  // namespace
}  // namespace statelab::util
