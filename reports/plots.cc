#include "reports/plots.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <set>
#include <string_view>

#include "gates/metrics.h"
#include "reports/cells.h"
#include "util/json.h"

namespace statelab::reports {

namespace fs = std::filesystem;
using harness::Baseline;
using harness::BenchmarkResult;

namespace {

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// gnuplot string literal in double quotes.
std::string GpString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

class PlotWriter {
 public:
  PlotWriter(std::string dir, std::string gnuplot, PlotOutcome* out)
      : dir_(std::move(dir)), gnuplot_(std::move(gnuplot)), out_(out) {}

  void Emit(const std::string& name, const std::string& dat, const std::string& gp) {
    const std::string dat_path = (fs::path(dir_) / (name + ".dat")).string();
    const std::string gp_path = (fs::path(dir_) / (name + ".gp")).string();
    Status written = util::WriteFile(dat_path, dat);
    if (written.ok()) written = util::WriteFile(gp_path, gp);
    if (!written.ok()) {
      out_->notes.push_back(name + ": " + std::string(written.message()));
      return;
    }
    out_->written.push_back(dat_path);
    out_->written.push_back(gp_path);
    if (gnuplot_.empty()) return;
    // gnuplot resolves the .dat file relative to its working directory.
    const std::string cmd = "cd " + Quote(dir_) + " && " + Quote(gnuplot_) + " " +
                            Quote(name + ".gp") + " >/dev/null 2>" + Quote(name + ".log");
    const int rc = std::system(cmd.c_str());
    const std::string svg = (fs::path(dir_) / (name + ".svg")).string();
    if (rc != 0 || !fs::exists(svg)) {
      out_->notes.push_back(name + ".svg: gnuplot failed (exit " + std::to_string(rc) + "; see " +
                            name + ".log)");
      return;
    }
    std::error_code ec;
    fs::remove(fs::path(dir_) / (name + ".log"), ec);
    out_->written.push_back(svg);
    out_->svgs.push_back(svg);
  }

 private:
  std::string dir_;
  std::string gnuplot_;
  PlotOutcome* out_;
};

// Min and max of the repetitions' values, or {v, v} when there are none.
std::pair<double, double> Range(const std::vector<double>& values, double v) {
  if (values.empty()) return {v, v};
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  return {*lo, *hi};
}

// The series `title` of `panel`, created on first use.
PlotSeries& SeriesOf(PlotPanel& panel, const std::string& title) {
  for (auto& s : panel.series) {
    if (s.title == title) return s;
  }
  panel.series.push_back({title, {}});
  return panel.series.back();
}

// The panel `title`, created (at the end of the grid) on first use.
PlotPanel& PanelOf(std::vector<PlotPanel>& panels, const std::string& title) {
  for (auto& p : panels) {
    if (p.title == title) return p;
  }
  panels.push_back({title, {}});
  return panels.back();
}

// "group/op" of a D-tier cell, "/params" appended when it has any: one scaling panel row each.
std::string ScalingOp(const BenchmarkResult& b) {
  std::string op = b.group;
  op.append("/").append(b.op);
  if (!b.params.empty()) op.append("/").append(harness::ParamsText(b.params));
  return op;
}

// "<op> <mode>": the title of a panel that shows one op in one mode.
std::string PanelTitle(std::string op, std::string_view mode) {
  op.append(" ").append(mode);
  return op;
}

void DropEmptyPanels(std::vector<PlotPanel>* panels) {
  std::erase_if(*panels, [](const PlotPanel& p) { return p.series.empty(); });
}

}  // namespace

bool WantsLogAxis(std::span<const double> values) {
  if (values.empty()) return false;
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  return *lo > 0 && *hi / *lo > kLogAxisMinRange;
}

std::vector<double> PanelValues(const PlotPanel& panel) {
  std::vector<double> out;
  for (const auto& s : panel.series) {
    for (const auto& p : s.points) {
      out.push_back(p.y);
      out.push_back(p.low);
      out.push_back(p.high);
    }
  }
  return out;
}

PanelPlot ScalingPlot(const Baseline& run) {
  PanelPlot plot;
  plot.name = "scaling";
  plot.title =
      "Disjoint scaling (tier D, median ops/s of all threads, bars = min-max): " + run.run_id;
  plot.xlabel = "threads";
  plot.ylabel = "ops/s";
  plot.log2_x = true;
  plot.error_bars = true;
  const std::vector<std::string> modes = ModesOf(run);
  plot.columns = std::max<int>(1, static_cast<int>(modes.size()));
  // Cells by (group/op[/params]) then mode, so that the grid has one op per row.
  std::vector<std::string> ops;
  std::set<int64_t> threads;
  for (const auto& b : run.benchmarks) {
    if (b.tier != "D") continue;
    threads.insert(b.threads);
    std::string op = ScalingOp(b);
    if (std::find(ops.begin(), ops.end(), op) == ops.end()) ops.push_back(std::move(op));
  }
  for (const auto& op : ops) {
    for (const auto& m : modes) PanelOf(plot.panels, PanelTitle(op, m));
  }
  for (const auto& b : run.benchmarks) {
    if (b.tier != "D") continue;
    const auto ops_per_sec = gates::MetricValue(b, "ops_per_sec");
    if (!ops_per_sec) continue;
    const auto [lo, hi] = Range(gates::OpsPerSec(b), *ops_per_sec);
    SeriesOf(PanelOf(plot.panels, PanelTitle(ScalingOp(b), b.mode)), b.engine)
        .points.push_back({static_cast<double>(b.threads), *ops_per_sec, lo, hi});
  }
  for (auto& panel : plot.panels) {
    std::erase_if(panel.series, [](const PlotSeries& s) { return s.points.size() < 2; });
    for (auto& s : panel.series) {
      std::sort(s.points.begin(), s.points.end(),
                [](const PlotPoint& a, const PlotPoint& b) { return a.x < b.x; });
    }
  }
  DropEmptyPanels(&plot.panels);
  for (int64_t t : threads) plot.xtics.emplace_back(static_cast<double>(t), std::to_string(t));
  return plot;
}

PanelPlot LatencyPlot(const Baseline& run) {
  PanelPlot plot;
  plot.name = "latency_percentiles";
  plot.title = "Latency percentiles (single thread): " + run.run_id;
  plot.ylabel = "ns per operation";
  const std::vector<std::string> modes = ModesOf(run);
  plot.columns = std::max<int>(1, static_cast<int>(modes.size()));
  static constexpr const char* kNames[] = {"p50_ns", "p90_ns", "p95_ns", "p99_ns", "p999_ns"};
  static constexpr const char* kLabels[] = {"p50", "p90", "p95", "p99", "p99.9"};
  for (int i = 0; i < 5; ++i) plot.xtics.emplace_back(i, kLabels[i]);
  const std::vector<std::pair<std::string, std::string>> key_ops = {
      {"engine", "get_direct"}, {"engine", "put_direct"}, {"kv", "get"}, {"kv", "put"}};
  for (const auto& [group, op] : key_ops) {
    std::string name = group;
    name.append("/").append(op);
    for (const auto& m : modes) {
      PlotPanel& panel = PanelOf(plot.panels, PanelTitle(name, m));
      for (const auto& b : run.benchmarks) {
        if (b.mode != m || b.threads != 1 || b.group != group || b.op != op) continue;
        PlotSeries series{b.engine, {}};
        for (int i = 0; i < 5; ++i) {
          const auto v = gates::MetricValue(b, kNames[i]);
          if (!v || *v <= 0) continue;  // a percentile not published (too few samples)
          series.points.push_back({static_cast<double>(i), *v, *v, *v});
        }
        if (!series.points.empty()) panel.series.push_back(std::move(series));
      }
    }
  }
  DropEmptyPanels(&plot.panels);
  return plot;
}

PanelPlot EnginesPlot(const Baseline& run) {
  PanelPlot plot;
  plot.name = "engines_ab";
  plot.title = "Engines side by side (median ns per op, bars = min-max): " + run.run_id;
  plot.ylabel = "ns per operation";
  plot.error_bars = true;
  plot.lines = false;
  plot.columns = 3;
  const std::vector<std::string> engines = EnginesOf(run);
  const std::vector<std::string> modes = ModesOf(run);
  for (std::size_t e = 0; e < engines.size(); ++e) {
    plot.xtics.emplace_back(static_cast<double>(e), engines[e]);
  }
  for (const KeyOp& k : kKeyOps) {
    PlotPanel& panel = PanelOf(
        plot.panels, std::string(k.tier) + " " + std::string(k.group) + "/" + std::string(k.op));
    for (std::size_t m = 0; m < modes.size(); ++m) {
      // Modes side by side around each engine's tic.
      const double offset =
          (static_cast<double>(m) - static_cast<double>(modes.size() - 1) / 2.0) * 0.15;
      for (std::size_t e = 0; e < engines.size(); ++e) {
        const BenchmarkResult* b = FindCell(run, k.tier, k.group, k.op, engines[e], modes[m]);
        const std::optional<double> median = b != nullptr ? gates::MedianNs(*b) : std::nullopt;
        if (!median) continue;
        const auto [lo, hi] = Range(gates::NsPerOp(*b), *median);
        SeriesOf(panel, modes[m])
            .points.push_back({static_cast<double>(e) + offset, *median, lo, hi});
      }
    }
  }
  DropEmptyPanels(&plot.panels);
  return plot;
}

std::string PlotData(const PanelPlot& plot) {
  std::string dat = "# x  y  low  high; one block per series, panel by panel\n";
  for (const auto& panel : plot.panels) {
    for (const auto& s : panel.series) {
      dat += "# " + panel.title + ": " + s.title + "\n";
      for (const auto& p : s.points) {
        dat += Num(p.x) + " " + Num(p.y) + " " + Num(p.low) + " " + Num(p.high) + "\n";
      }
      dat += "\n\n";
    }
  }
  return dat;
}

std::string PlotScript(const PanelPlot& plot) {
  const int columns = std::max(1, std::min(plot.columns, static_cast<int>(plot.panels.size())));
  const int rows = (static_cast<int>(plot.panels.size()) + columns - 1) / columns;
  // Each panel gets room for its data and its legend to the right; at least 800 px for the title.
  std::string gp = "set terminal svg size " + std::to_string(std::max(800, 480 * columns)) + "," +
                   std::to_string(60 + 320 * rows) +
                   " dynamic enhanced font 'sans,10' background rgb 'white'\n";
  gp += "set output '" + plot.name + ".svg'\n";
  gp += "set multiplot layout " + std::to_string(rows) + "," + std::to_string(columns) + " title " +
        GpString(plot.title) + " noenhanced\n";
  gp += std::string(kLegendPlacement) + "\nset grid\n";
  if (!plot.xlabel.empty()) gp += "set xlabel " + GpString(plot.xlabel) + "\n";
  gp += "set ylabel " + GpString(plot.ylabel) + "\n";
  if (!plot.xtics.empty()) {
    std::string tics;
    double lo = plot.xtics.front().first, hi = lo;
    for (const auto& [x, label] : plot.xtics) {
      if (!tics.empty()) tics += ", ";
      tics += GpString(label) + " " + Num(x);
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
    // Many category labels (engines) would run into each other side by side.
    gp += "set xtics (" + tics + ") noenhanced" +
          (plot.xtics.size() > 4 ? std::string(" rotate by 30 right") : std::string()) + "\n";
    // A margin around the outermost tics so their points are not drawn on the frame.
    gp += plot.log2_x
              ? "set logscale x 2\nset xrange [" + Num(lo / 1.25) + ":" + Num(hi * 1.25) + "]\n"
              : "set xrange [" + Num(lo - 0.5) + ":" + Num(hi + 0.5) + "]\n";
  }
  int index = 0;
  for (const auto& panel : plot.panels) {
    gp += "set title " + GpString(panel.title) + " noenhanced\n";
    gp += WantsLogAxis(PanelValues(panel)) ? "set logscale y\nset yrange [*:*]\n"
                                           : "unset logscale y\nset yrange [0:*]\n";
    gp += "plot ";
    for (std::size_t i = 0; i < panel.series.size(); ++i) {
      if (i > 0) gp += ", \\\n     ";
      gp += "'" + plot.name + ".dat' index " + std::to_string(index++) +
            (plot.error_bars
                 ? " using 1:2:3:4 with " + std::string(plot.lines ? "yerrorlines" : "yerrorbars")
                 : " using 1:2 with " + std::string(plot.lines ? "linespoints" : "points")) +
            " lw 2 pt 7 title " + GpString(panel.series[i].title);
    }
    gp += "\n";
  }
  gp += "unset multiplot\n";
  return gp;
}

PlotOutcome WritePlots(const Baseline& run, const std::string& plots_dir,
                       const std::string& gnuplot) {
  PlotOutcome out;
  std::error_code ec;
  fs::create_directories(plots_dir, ec);
  if (ec) {
    out.notes.push_back("plots skipped: cannot create " + plots_dir + ": " + ec.message());
    return out;
  }
  if (gnuplot.empty()) {
    out.notes.emplace_back(
        "SVG plots skipped: gnuplot not found (install gnuplot, or set STATELAB_GNUPLOT); the "
        ".dat and .gp inputs were written to plots/");
  }
  PlotWriter w(plots_dir, gnuplot, &out);
  const std::pair<PanelPlot, const char*> plots[] = {
      {ScalingPlot(run), "no D-tier benchmark ran at more than one thread count"},
      {LatencyPlot(run), "no single-threaded A1/B key operation with latency percentiles"},
      {EnginesPlot(run), "no single-threaded A1/B key operation ran"}};
  for (const auto& [plot, why_empty] : plots) {
    if (plot.panels.empty()) {
      out.notes.push_back(plot.name + ".svg skipped: " + why_empty);
      continue;
    }
    w.Emit(plot.name, PlotData(plot), PlotScript(plot));
  }
  return out;
}

}  // namespace statelab::reports
