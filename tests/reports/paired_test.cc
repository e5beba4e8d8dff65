// Paired A/B verdicts (exact interval of the median ratio B/A, Bonferroni over cells and looks) and
// the instructions-per-op comparison: known ratios give known verdicts; bimodal noise without a
// real change is no verdict.

#include "reports/paired.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "reports/instructions.h"

namespace statelab::reports {
namespace {

harness::BenchmarkResult Cell(const std::string& name, double ns) {
  harness::BenchmarkResult b;
  b.name = name;
  b.repetitions.push_back({ns, 1e9 / ns, 1000});
  b.stats.median_ns = ns;
  return b;
}

// One run per pair: cell `name` at each value.
std::vector<gates::RunFile> Runs(const std::string& name, const std::vector<double>& ns) {
  std::vector<gates::RunFile> out;
  for (double v : ns) {
    gates::RunFile f;
    f.path = "pair";
    f.baseline.benchmarks.push_back(Cell(name, v));
    out.push_back(std::move(f));
  }
  return out;
}

PairedRow OnlyRow(const std::vector<double>& a, const std::vector<double>& b,
                  const PairedOptions& o = {}) {
  Result<PairedResult> r = ComparePaired(Runs("c", a), Runs("c", b), o);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r->rows.size(), 1U);
  return r->rows.front();
}

TEST(Paired, IntervalOfConstantRatiosIsThePoint) {
  const std::vector<double> r(6, 1.1);
  const Interval i = MedianInterval(r, 0.95);
  EXPECT_TRUE(i.attained);
  EXPECT_DOUBLE_EQ(i.median, 1.1);
  EXPECT_DOUBLE_EQ(i.lo, 1.1);
  EXPECT_DOUBLE_EQ(i.hi, 1.1);
}

TEST(Paired, IntervalIsTheOrderStatisticsTheSignTestAllows) {
  // n = 10: [x_(1), x_(10)] misses the median with probability 2/1024, [x_(2), x_(9)] with
  // 2 * 11/1024 = 2.15%, [x_(3), x_(8)] with 2 * 56/1024 = 10.9%.
  const std::vector<double> r = {1.09, 1.01, 1.10, 1.03, 1.07, 1.02, 1.08, 1.04, 1.06, 1.05};
  const Interval at95 = MedianInterval(r, 0.95);
  EXPECT_TRUE(at95.attained);
  EXPECT_DOUBLE_EQ(at95.lo, 1.02);
  EXPECT_DOUBLE_EQ(at95.hi, 1.09);
  EXPECT_DOUBLE_EQ(at95.coverage, 1 - 2.0 * 11 / 1024);
  const Interval at99 = MedianInterval(r, 0.99);
  EXPECT_DOUBLE_EQ(at99.lo, 1.01);
  EXPECT_DOUBLE_EQ(at99.hi, 1.10);
  EXPECT_DOUBLE_EQ(at99.coverage, 1 - 2.0 / 1024);
  const Interval at80 = MedianInterval(r, 0.80);
  EXPECT_DOUBLE_EQ(at80.lo, 1.03);
  EXPECT_DOUBLE_EQ(at80.hi, 1.08);
}

TEST(Paired, FivePairsCannotReach95Percent) {
  // min and max of 5 draws miss the median with probability 2/32 = 6.25%.
  const std::vector<double> r = {1.12, 1.08, 1.10, 1.11, 1.09};
  const Interval i = MedianInterval(r, 0.95);
  EXPECT_FALSE(i.attained);
  EXPECT_DOUBLE_EQ(i.coverage, 1 - 2.0 / 32);
  EXPECT_DOUBLE_EQ(i.lo, 1.08);
  EXPECT_DOUBLE_EQ(i.hi, 1.12);
  EXPECT_EQ(Decide(i, 5), PairedVerdict::kInconclusive) << "every pair slower, too few pairs";
}

Interval Attained(double median, double lo, double hi) {
  return {median, lo, hi, 0.99, true};
}

TEST(Paired, DecideNeedsTheWholeIntervalPastTheThreshold) {
  EXPECT_EQ(Decide(Attained(1.10, 1.08, 1.12), 5), PairedVerdict::kRegression);
  EXPECT_EQ(Decide(Attained(1.10, 1.04, 1.12), 5), PairedVerdict::kInconclusive);
  EXPECT_EQ(Decide(Attained(0.90, 0.88, 0.93), 5), PairedVerdict::kImprovement);
  EXPECT_EQ(Decide(Attained(0.90, 0.88, 0.96), 5), PairedVerdict::kInconclusive);
  EXPECT_EQ(Decide(Attained(1.0, 0.99, 1.01), 5), PairedVerdict::kUnchanged);
  EXPECT_EQ(Decide(Attained(1.0, 0.95, 1.05), 5), PairedVerdict::kUnchanged)
      << "the bounds belong inside";
  EXPECT_EQ(Decide(Attained(1.0, 0.90, 1.01), 5), PairedVerdict::kInconclusive);
}

TEST(Paired, TenPercentSlowerInEveryPairIsARegression) {
  const std::vector<double> a = {100, 103, 98, 101, 99, 100};
  const std::vector<double> b = {110, 113.3, 107.8, 111.1, 108.9, 110};
  const PairedRow row = OnlyRow(a, b);
  EXPECT_EQ(row.ratios.size(), 6U);
  EXPECT_NEAR(row.interval.median, 1.1, 1e-9);
  EXPECT_EQ(row.verdict, PairedVerdict::kRegression);
}

TEST(Paired, TwiceAsFastIsAnImprovement) {
  const PairedRow row =
      OnlyRow({200, 210, 190, 205, 195, 200}, {100, 105, 95, 102.5, 97.5, 100});
  EXPECT_EQ(row.verdict, PairedVerdict::kImprovement);
  EXPECT_NEAR(row.interval.hi, 0.5, 1e-9);
}

TEST(Paired, MoreCellsAndLooksNeedMorePairs) {
  // One cell: 6 pairs, all 10% slower, reach 95% (coverage 1 - 2/64). The same cell among 3 cells
  // and 4 looks needs 1 - 0.05/12 = 99.6%: 6 pairs cannot reach it, 9 can (1 - 2/512).
  std::vector<gates::RunFile> a = Runs("c", std::vector<double>(9, 100));
  std::vector<gates::RunFile> b = Runs("c", std::vector<double>(9, 110));
  for (size_t i = 0; i < a.size(); ++i) {
    a[i].baseline.benchmarks.push_back(Cell("d", 100));
    a[i].baseline.benchmarks.push_back(Cell("e", 100));
    b[i].baseline.benchmarks.push_back(Cell("d", 100));
    b[i].baseline.benchmarks.push_back(Cell("e", 100));
  }
  PairedOptions o;
  o.looks = 4;
  const std::vector<gates::RunFile> a6(a.begin(), a.begin() + 6);
  const std::vector<gates::RunFile> b6(b.begin(), b.begin() + 6);
  Result<PairedResult> six = ComparePaired(a6, b6, o);
  ASSERT_TRUE(six.ok());
  EXPECT_NEAR(six->cell_confidence, 1 - 0.05 / 12, 1e-12);
  EXPECT_EQ(six->rows[0].verdict, PairedVerdict::kInconclusive);
  Result<PairedResult> nine = ComparePaired(a, b, o);
  ASSERT_TRUE(nine.ok());
  EXPECT_EQ(nine->rows[0].verdict, PairedVerdict::kRegression);
  EXPECT_EQ(nine->rows[1].verdict, PairedVerdict::kUnchanged);
  EXPECT_EQ(nine->ExitCode(), 1);
}

TEST(Paired, DriftThatHitsBothSidesIsUnchanged) {
  // The machine slows down 3x during the run; each pair sees the same slowdown on both sides.
  const PairedRow row =
      OnlyRow({100, 150, 300, 200, 100, 120}, {101, 149, 303, 198, 100, 121});
  EXPECT_EQ(row.verdict, PairedVerdict::kUnchanged);
}

TEST(Paired, BimodalNoiseWithoutAChangeIsNeitherRegressionNorImprovement) {
  // The repetitions of issue 17: fast ~1.8 us, slow ~21-46 us, on either side at random.
  const std::vector<double> a = {46086, 1781, 1772, 21134, 1845, 1790, 1800};
  const std::vector<double> b = {1790, 21134, 1800, 1781, 46086, 1845, 1772};
  const PairedRow row = OnlyRow(a, b);
  EXPECT_EQ(row.verdict, PairedVerdict::kInconclusive);
  EXPECT_LT(row.interval.lo, 1.0);
  EXPECT_GT(row.interval.hi, 1.0);
}

TEST(Paired, FewerPairsThanTheMinimumGiveNoVerdict) {
  const PairedRow row = OnlyRow({100, 100, 100, 100}, {200, 200, 200, 200});
  EXPECT_EQ(row.verdict, PairedVerdict::kTooFewPairs);
}

TEST(Paired, CellMissingFromOneSideOfAPairLosesThatPair) {
  std::vector<gates::RunFile> a = Runs("c", {100, 100, 100, 100, 100, 100, 100});
  std::vector<gates::RunFile> b = Runs("c", {150, 150, 150, 150, 150, 150, 150});
  b[2].baseline.benchmarks.clear();
  Result<PairedResult> r = ComparePaired(a, b, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows.front().ratios.size(), 6U);
  EXPECT_EQ(r->rows.front().verdict, PairedVerdict::kRegression);
  EXPECT_EQ(r->ExitCode(), 1);
}

TEST(Paired, UnequalPairCountsAreAnError) {
  const Result<PairedResult> r = ComparePaired(Runs("c", {1, 2}), Runs("c", {1}), {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().ToString().find("1 B runs"), std::string::npos) << r.status().ToString();
}

TEST(Paired, MarkdownPrintsTheIntervalAndItsCoverage) {
  Result<PairedResult> r = ComparePaired(Runs("c", {100, 100, 100, 100, 100, 100}),
                                         Runs("c", {120, 120, 120, 120, 120, 120}), {});
  ASSERT_TRUE(r.ok());
  const std::string md = PairedToMarkdown(*r);
  EXPECT_NE(md.find("[1.20, 1.20]"), std::string::npos) << md;
  EXPECT_NE(md.find("96.9%"), std::string::npos) << md;
  EXPECT_NE(md.find("regression"), std::string::npos) << md;
}

gates::RunFile CountedRun(const std::vector<std::pair<std::string, std::optional<double>>>& cells,
                          const std::string& source = "callgrind") {
  gates::RunFile f;
  f.path = "run.json";
  f.baseline.environment["harness"] = boost::json::object{{"instructions_source", source}};
  for (const auto& [name, ipo] : cells) {
    harness::BenchmarkResult b = Cell(name, 100);
    b.counters.instructions_per_op = ipo;
    f.baseline.benchmarks.push_back(std::move(b));
  }
  return f;
}

TEST(Instructions, ChangeBeyondThresholdIsTheVerdict) {
  const InstructionResult r =
      CompareInstructions(CountedRun({{"a", 1000.0}, {"b", 1000.0}, {"c", 1000.0}}),
                          CountedRun({{"a", 1100.0}, {"b", 1004.0}, {"c", 980.0}}), {});
  ASSERT_EQ(r.rows.size(), 3U);
  EXPECT_EQ(r.rows[0].verdict, Change::kRegression);
  EXPECT_NEAR(*r.rows[0].change_pct, 10.0, 1e-9);
  EXPECT_EQ(r.rows[1].verdict, Change::kUnchanged) << "0.4% is below the 1% threshold";
  EXPECT_EQ(r.rows[2].verdict, Change::kImprovement);
  EXPECT_EQ(r.Compared(), 3);
  EXPECT_EQ(r.ExitCode(), 1);
  EXPECT_TRUE(r.notes.empty());
}

TEST(Instructions, MissingCountsAreNotAPass) {
  const InstructionResult r =
      CompareInstructions(CountedRun({{"a", std::nullopt}}), CountedRun({{"a", 1000.0}}), {});
  EXPECT_EQ(r.Compared(), 0);
  EXPECT_EQ(r.rows[0].note, "no instruction count in the old run");
  EXPECT_EQ(r.ExitCode(), 3) << "nothing compared";
}

TEST(Instructions, DifferentSourcesAreNoted) {
  const InstructionResult r = CompareInstructions(CountedRun({{"a", 1000.0}}, "perf_event"),
                                                  CountedRun({{"a", 1000.0}}), {});
  ASSERT_EQ(r.notes.size(), 1U);
  EXPECT_NE(r.notes[0].find("perf_event"), std::string::npos);
  EXPECT_EQ(r.ExitCode(), 0);
}

}  // namespace
}  // namespace statelab::reports
