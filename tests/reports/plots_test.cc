// Plot choices as pure functions: one panel per group with a few series, legends outside the data,
// a log axis only where a panel's range is wide, and the scaling x axis over every thread count.

#include "reports/plots.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "gates/run_facts.h"
#include "tests/gates/test_util.h"

namespace statelab::reports {
namespace {

using statelab::testing_util::Fixture;
using statelab::testing_util::ValueOf;

harness::Baseline Sample() {
  return ValueOf(gates::LoadRunFile(
                     Fixture("runs/run_2024-05-01_12-00-00_abc1234_sample/baseline.json")))
      .baseline;
}

// The script text of each panel: from its "set title" to the next one.
std::vector<std::string> PanelScripts(const std::string& gp) {
  std::vector<std::string> out;
  std::size_t pos = gp.find("set title ");
  while (pos != std::string::npos) {
    const std::size_t next = gp.find("set title ", pos + 1);
    out.push_back(gp.substr(pos, next == std::string::npos ? std::string::npos : next - pos));
    pos = next;
  }
  return out;
}

TEST(PlotChoices, LogAxisOnlyForWideRanges) {
  EXPECT_TRUE(WantsLogAxis(std::vector<double>{1000, 2e6}));
  EXPECT_TRUE(WantsLogAxis(std::vector<double>{1, 20.01}));
  EXPECT_FALSE(WantsLogAxis(std::vector<double>{1, 20})) << "exactly 20x stays linear";
  EXPECT_FALSE(WantsLogAxis(std::vector<double>{100, 150, 1000}));
  EXPECT_FALSE(WantsLogAxis(std::vector<double>{0, 1000})) << "a log axis cannot show 0";
  EXPECT_FALSE(WantsLogAxis(std::vector<double>{}));
}

TEST(PlotChoices, EachPanelDecidesItsOwnAxis) {
  PanelPlot plot;
  plot.name = "t";
  plot.columns = 2;
  // Strict and InMemory throughput: 1,000x apart.
  plot.panels.push_back({"wide", {{"a", {{1, 1000, 900, 1100}, {2, 1e6, 9e5, 1.1e6}}}}});
  plot.panels.push_back({"narrow", {{"a", {{1, 100, 95, 105}, {2, 190, 180, 200}}}}});
  const std::vector<std::string> panels = PanelScripts(PlotScript(plot));
  ASSERT_EQ(panels.size(), 2u);
  EXPECT_NE(panels[0].find("set logscale y"), std::string::npos) << panels[0];
  EXPECT_NE(panels[1].find("unset logscale y"), std::string::npos) << panels[1];
  EXPECT_NE(panels[1].find("set yrange [0:*]"), std::string::npos) << panels[1];
}

TEST(PlotChoices, LegendsOutsideTheDataInEveryPlot) {
  const harness::Baseline run = Sample();
  for (const PanelPlot& plot : {ScalingPlot(run), LatencyPlot(run), EnginesPlot(run)}) {
    ASSERT_FALSE(plot.panels.empty()) << plot.name;
    const std::string gp = PlotScript(plot);
    EXPECT_NE(gp.find(std::string(kLegendPlacement) + "\n"), std::string::npos) << gp;
    EXPECT_NE(std::string(kLegendPlacement).find("outside"), std::string::npos);
    // No other key placement anywhere (which would put a legend back over the curves).
    EXPECT_EQ(gp.find("set key", gp.find("set key") + 1), std::string::npos) << gp;
    EXPECT_NE(gp.find("set multiplot layout"), std::string::npos) << gp;
  }
}

TEST(PlotChoices, OnePanelPerGroupWithAFewSeries) {
  const harness::Baseline run = Sample();
  const std::size_t engines = run.config.engines.size();  // 3
  // Scaling: the sample has D disjoint/put in inmemory only; one panel, one series per engine.
  const PanelPlot scaling = ScalingPlot(run);
  ASSERT_EQ(scaling.panels.size(), 1u);
  EXPECT_EQ(scaling.panels[0].title, "disjoint/put inmemory");
  EXPECT_EQ(scaling.panels[0].series.size(), engines);
  // Latency: one panel per key op and mode (4 x 3), engines as series.
  const PanelPlot latency = LatencyPlot(run);
  EXPECT_EQ(latency.panels.size(), 12u);
  for (const auto& p : latency.panels) EXPECT_LE(p.series.size(), engines) << p.title;
  // Engines: one panel per key op, one series per mode, x = engine.
  const PanelPlot ab = EnginesPlot(run);
  EXPECT_EQ(ab.panels.size(), 6u);
  for (const auto& p : ab.panels) EXPECT_EQ(p.series.size(), run.config.modes.size()) << p.title;
  ASSERT_EQ(ab.xtics.size(), engines);
  EXPECT_EQ(ab.xtics[1].second, "sharded");
  // Error bars carry the min and max of the repetitions.
  const PlotPoint& p = ab.panels[3].series[0].points[0];  // B kv/get, inmemory, btree
  EXPECT_EQ(ab.panels[3].title, "B kv/get");
  EXPECT_EQ(p.y, 1000);
  EXPECT_EQ(p.low, 980);
  EXPECT_EQ(p.high, 1020);
}

TEST(PlotChoices, ScalingSpansEveryThreadCountRun) {
  harness::Baseline run = Sample();
  // A D cell at 3 threads for one engine only: the axis still shows 3 for every panel.
  for (const auto& b : std::vector<harness::BenchmarkResult>(run.benchmarks)) {
    if (b.tier == "D" && b.engine == "sharded" && b.threads == 2) {
      harness::BenchmarkResult three = b;
      three.threads = 3;
      three.name = "D/disjoint/put/sharded/inmemory/threads:3";
      run.benchmarks.push_back(three);
    }
  }
  const PanelPlot plot = ScalingPlot(run);
  std::set<double> tics;
  for (const auto& [x, label] : plot.xtics) tics.insert(x);
  EXPECT_EQ(tics, (std::set<double>{1, 2, 3, 4}));
  const std::string gp = PlotScript(plot);
  EXPECT_NE(gp.find(R"(set xtics ("1" 1, "2" 2, "3" 3, "4" 4))"), std::string::npos) << gp;
  EXPECT_NE(gp.find("set logscale x 2"), std::string::npos);
  for (const auto& s : plot.panels[0].series) {
    EXPECT_EQ(s.points.size(), s.title == "sharded" ? 4u : 3u) << s.title;
    for (std::size_t i = 1; i < s.points.size(); ++i) EXPECT_LT(s.points[i - 1].x, s.points[i].x);
  }
}

TEST(PlotChoices, DataBlocksMatchTheScriptIndexes) {
  const PanelPlot plot = EnginesPlot(Sample());
  const std::string dat = PlotData(plot);
  const std::string gp = PlotScript(plot);
  int series = 0;
  for (const auto& p : plot.panels) series += static_cast<int>(p.series.size());
  int blocks = 0;
  for (std::size_t pos = dat.find("\n# "); pos != std::string::npos;
       pos = dat.find("\n# ", pos + 1))
    ++blocks;
  EXPECT_EQ(blocks, series);
  EXPECT_NE(gp.find("index " + std::to_string(series - 1) + " "), std::string::npos);
  EXPECT_EQ(gp.find("index " + std::to_string(series) + " "), std::string::npos);
}

}  // namespace
}  // namespace statelab::reports
