#include "workloads/generators.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace statelab::workloads {
namespace {

TEST(Generators, SameSeedSameStream) {
  Xoshiro256 a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.Next(), b.Next());
  EXPECT_NE(Xoshiro256(42).Next(), c.Next());
}

TEST(Generators, UniformCoversRangeEvenly) {
  UniformGenerator g(10, 7);
  std::vector<int> counts(10);
  for (int i = 0; i < 100000; ++i) counts[g.Next()]++;
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);
}

TEST(Generators, ZipfianFavoursLowRanks) {
  ZipfianGenerator g(1000, 0.99, 1);
  std::vector<int> counts(1000);
  for (int i = 0; i < 200000; ++i) {
    uint64_t r = g.Next();
    ASSERT_LT(r, 1000u);
    counts[r]++;
  }
  // P(rank 0) = 1 / zeta(1000, 0.99) ~ 0.133; rank 1 about half of it.
  EXPECT_NEAR(counts[0] / 200000.0, 0.133, 0.01);
  EXPECT_NEAR(static_cast<double>(counts[1]) / counts[0], 0.5, 0.05);
  EXPECT_GT(counts[0], counts[10]);
}

TEST(Generators, ScrambledSpreadsHotKeys) {
  ScrambledZipfianGenerator g(1000, 0.99, 1);
  std::map<uint64_t, int> counts;
  for (int i = 0; i < 100000; ++i) counts[g.Next()]++;
  auto hottest = std::max_element(counts.begin(), counts.end(),
                                  [](auto& a, auto& b) { return a.second < b.second; });
  EXPECT_NE(hottest->first, 0u);  // rank 0 hashed elsewhere
  EXPECT_GT(hottest->second, 10000);
}

TEST(Generators, LatestPrefersNewest) {
  LatestGenerator g(100, 0.99, 3);
  for (int i = 0; i < 10; ++i) g.Inserted();
  int newest = 0;
  for (int i = 0; i < 10000; ++i) newest += g.Next() == 109;
  EXPECT_GT(newest, 1000);
}

TEST(Generators, KeyNamesSortLikeNumbers) {
  EXPECT_EQ(KeyName("user", 42, 6), "user000042");
  auto names = KeyNames("k", 3, 2);
  EXPECT_EQ(names, (std::vector<std::string>{"k00", "k01", "k02"}));
}

}  // namespace
}  // namespace statelab::workloads
