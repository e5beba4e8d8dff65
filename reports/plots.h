#pragma once
// SVG plots through gnuplot: disjoint scaling curves, latency percentiles, engines side by side.
// Each plot is a grid of small panels (one per group, e.g. one per op and mode) with a few series
// each, legends outside the data, a log y axis only where a panel's values span a wide range, and
// min-max error bars where the repetitions give a spread. The plot model and the script are built
// by pure functions (tested without gnuplot); the .dat and .gp files are always written next to
// the SVGs, so a machine without gnuplot still gets reproducible plot inputs, and the outcome says
// the SVGs were skipped and why. Choices: docs/compare.md#plots.

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "harness/baseline.h"

namespace statelab::reports {

// A panel's y axis is logarithmic when its values span more than this factor.
inline constexpr double kLogAxisMinRange = 20;

// Every plot puts its legend here: outside the data area, to the right of each panel.
inline constexpr char kLegendPlacement[] = "set key outside right top vertical noenhanced";

// Plain values; not synchronized.
struct PlotPoint {
  double x = 0;
  double y = 0;
  double low = 0;   // min of the repetitions (= y when there is no spread)
  double high = 0;  // max of the repetitions
};
struct PlotSeries {
  std::string title;
  std::vector<PlotPoint> points;
};
struct PlotPanel {
  std::string title;
  std::vector<PlotSeries> series;
};
struct PanelPlot {
  std::string name;  // file stem: NAME.dat, NAME.gp, NAME.svg
  std::string title;
  std::string xlabel;
  std::string ylabel;
  std::vector<std::pair<double, std::string>> xtics;  // explicit tics: position, label
  bool log2_x = false;
  bool error_bars = false;  // draw low..high
  bool lines = true;        // connect the points of a series
  int columns = 1;          // panels per row
  std::vector<PlotPanel> panels;
};

// True when every value is > 0 and max / min > kLogAxisMinRange.
bool WantsLogAxis(std::span<const double> values);
// y, low and high of every point of the panel.
std::vector<double> PanelValues(const PlotPanel& panel);

// D-tier throughput (median ops/s, min-max of the repetitions): one panel per (group/op[/params],
// mode), one series per engine, x = threads; series measured at fewer than two thread counts are
// left out. The x tics are every D-tier thread count the run measured. No panels when none.
PanelPlot ScalingPlot(const harness::Baseline& run);
// p50..p99.9 of the single-threaded key operations: one panel per (op, mode), one series per
// engine.
PanelPlot LatencyPlot(const harness::Baseline& run);
// Median ns per op (min-max of the repetitions) of the key operations: one panel per op, one
// series per mode, x = engine.
PanelPlot EnginesPlot(const harness::Baseline& run);

// The gnuplot inputs of a plot: one data block per series (panel by panel), and the script.
std::string PlotData(const PanelPlot& plot);
std::string PlotScript(const PanelPlot& plot);

struct PlotOutcome {
  std::vector<std::string> written;  // .dat, .gp and .svg files
  std::vector<std::string> svgs;     // the SVGs that gnuplot produced
  std::vector<std::string> notes;    // skipped plots and why
};

// `gnuplot` is the binary to run; "" means gnuplot is not available.
PlotOutcome WritePlots(const harness::Baseline& run, const std::string& plots_dir,
                       const std::string& gnuplot);

}  // namespace statelab::reports
