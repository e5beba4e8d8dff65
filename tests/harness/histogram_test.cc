#include "harness/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace statelab::harness {
namespace {

// Exact percentile with the same rank rule as Histogram: the ceil(q/100 * n)-th smallest.
int64_t ExactPercentile(std::vector<int64_t> sorted, double q) {
  const size_t rank =
      static_cast<size_t>(std::ceil(q / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

void ExpectWithinOnePercent(const Histogram& h, std::vector<int64_t> values) {
  std::sort(values.begin(), values.end());
  for (double q : {1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.9, 99.99}) {
    const double exact = static_cast<double>(ExactPercentile(values, q));
    const double got = static_cast<double>(h.Percentile(q));
    EXPECT_LE(std::abs(got - exact), 0.01 * exact + 0.5) << "q=" << q;
  }
  EXPECT_EQ(h.Min(), values.front());
  EXPECT_EQ(h.Max(), values.back());
  EXPECT_EQ(h.Count(), values.size());
}

TEST(HistogramTest, UniformOneToMillion) {
  Histogram h;
  std::vector<int64_t> values;
  for (int64_t v = 1; v <= 1'000'000; ++v) {
    h.Record(v);
    values.push_back(v);
  }
  ExpectWithinOnePercent(h, values);
  EXPECT_DOUBLE_EQ(h.Mean(), 500000.5);
}

TEST(HistogramTest, ExponentialFixedSeed) {
  std::mt19937_64 rng(42);
  std::exponential_distribution<double> dist(1.0 / 2000.0);  // Mean 2 us.
  Histogram h;
  std::vector<int64_t> values;
  for (int i = 0; i < 500'000; ++i) {
    const int64_t v = static_cast<int64_t>(dist(rng)) + 1;
    h.Record(v);
    values.push_back(v);
  }
  ExpectWithinOnePercent(h, values);
}

TEST(HistogramTest, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(8.0, 2.0);
  Histogram all;
  Histogram parts[4];
  std::vector<int64_t> values;
  for (int i = 0; i < 100'000; ++i) {
    const int64_t v = static_cast<int64_t>(dist(rng));
    all.Record(v);
    parts[i % 4].Record(v);
    values.push_back(v);
  }
  Histogram merged;
  for (const Histogram& p : parts) merged.Merge(p);
  EXPECT_EQ(merged.Count(), all.Count());
  EXPECT_EQ(merged.Min(), all.Min());
  EXPECT_EQ(merged.Max(), all.Max());
  EXPECT_NEAR(merged.Mean(), all.Mean(), 1e-6 * all.Mean());
  for (double q : {50.0, 90.0, 99.0, 99.9}) EXPECT_EQ(merged.Percentile(q), all.Percentile(q));
  ExpectWithinOnePercent(merged, values);
}

TEST(HistogramTest, LargeValuesUpTo1e11) {
  Histogram h;
  const int64_t values[] = {1, 999, 123'456'789, 5'000'000'000, 100'000'000'000};
  for (int64_t v : values) h.Record(v);
  EXPECT_EQ(h.Max(), 100'000'000'000);
  EXPECT_EQ(h.Percentile(100), 100'000'000'000);
  // 4th of 5 samples.
  EXPECT_NEAR(static_cast<double>(h.Percentile(80)), 5e9, 5e9 * 0.01);
}

TEST(HistogramTest, BucketsCoverRangeWithBoundedWidth) {
  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{255}, int64_t{256}, int64_t{1000},
                    int64_t{1} << 20, int64_t{99'999'999'999}, Histogram::kMaxTrackableNs}) {
    const int i = Histogram::BucketIndex(v);
    ASSERT_GE(i, 0);
    ASSERT_LT(i, Histogram::BucketCount());
    EXPECT_LE(Histogram::BucketLowest(i), v);
    EXPECT_GT(Histogram::BucketLowest(i) + Histogram::BucketWidth(i), v);
    EXPECT_LE(static_cast<double>(Histogram::BucketWidth(i)),
              std::max(1.0, static_cast<double>(v) / 128.0));
  }
  // Buckets are contiguous.
  for (int i = 0; i + 1 < Histogram::BucketCount(); ++i) {
    ASSERT_EQ(Histogram::BucketLowest(i) + Histogram::BucketWidth(i),
              Histogram::BucketLowest(i + 1))
        << i;
  }
}

TEST(HistogramTest, EmptyAndEdgeCases) {
  Histogram h;
  EXPECT_EQ(h.Count(), 0u);
  EXPECT_EQ(h.Percentile(50), 0);
  h.Record(-5);  // Clock step: clamped to 0.
  EXPECT_EQ(h.Min(), 0);
  h.RecordN(1000, 9);
  EXPECT_EQ(h.Count(), 10u);
  EXPECT_EQ(h.Percentile(0), 0);
  EXPECT_NEAR(static_cast<double>(h.Percentile(50)), 1000, 10);
  h.Reset();
  EXPECT_EQ(h.Count(), 0u);
  EXPECT_EQ(h.Max(), 0);
}

TEST(HistogramTest, CopyIsDeep) {
  Histogram a;
  a.Record(10);
  Histogram b = a;
  b.Record(20);
  EXPECT_EQ(a.Count(), 1u);
  EXPECT_EQ(b.Count(), 2u);
}

TEST(PercentileSamplesTest, TenSamplesAtOrBeyondThePercentile) {
  EXPECT_EQ(MinSamplesForPercentile(50), 20u);
  EXPECT_EQ(MinSamplesForPercentile(90), 100u);
  EXPECT_EQ(MinSamplesForPercentile(95), 200u);
  EXPECT_EQ(MinSamplesForPercentile(99), 1'000u);
  EXPECT_EQ(MinSamplesForPercentile(99.9), 10'000u) << "100 - 99.9 is not exactly 0.1";
  EXPECT_EQ(PercentileLabel(99.9), "p99.9");
  EXPECT_EQ(PercentileLabel(50), "p50");
  EXPECT_EQ(TooFewSamplesReason(10'000, 99.9), "");
  EXPECT_EQ(TooFewSamplesReason(9'999, 99.9),
            "9999 samples; p99.9 needs >= 10000 (10 at or beyond it)");
  EXPECT_EQ(TooFewSamplesReason(999, 99), "999 samples; p99 needs >= 1000 (10 at or beyond it)");
}

}  // namespace
}  // namespace statelab::harness
