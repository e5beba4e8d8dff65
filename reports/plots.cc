#include "reports/plots.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <map>
#include <optional>

#include "gates/metrics.h"
#include "reports/cells.h"
#include "util/json.h"

namespace statelab::reports {

namespace fs = std::filesystem;
using harness::Baseline;

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

constexpr char kTerminal[] =
    "set terminal svg size 900,520 dynamic enhanced font 'sans,11' background rgb 'white'\n";

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

void ScalingPlot(const Baseline& run, PlotWriter* w, PlotOutcome* out) {
  // Series: one D-tier (engine, mode, group, op, params) across thread counts.
  std::map<std::string, std::map<int64_t, double>> series;
  for (const auto& b : run.benchmarks) {
    if (b.tier != "D") continue;
    const auto ops = gates::MetricValue(b, "ops_per_sec");
    if (!ops) continue;
    std::string key = b.engine + "/" + b.mode + "/" + b.group + "/" + b.op;
    if (!b.params.empty()) key.append("/").append(harness::ParamsText(b.params));
    series[key][b.threads] = *ops;
  }
  for (auto it = series.begin(); it != series.end();) {
    it = it->second.size() < 2 ? series.erase(it) : std::next(it);
  }
  if (series.empty()) {
    out->notes.emplace_back(
        "scaling.svg skipped: no D-tier benchmark ran at more than one thread count");
    return;
  }
  std::string dat = "# threads  median ops/s; one block per series\n";
  std::string plot = "plot ";
  int index = 0;
  for (const auto& [key, points] : series) {
    dat += "# " + key + "\n";
    for (const auto& [threads, ops] : points)
      dat += std::to_string(threads) + " " + Num(ops) + "\n";
    dat += "\n\n";
    if (index > 0) plot += ", \\\n     ";
    plot += "'scaling.dat' index " + std::to_string(index) +
            " using 1:2 with linespoints lw 2 title " + GpString(key);
    ++index;
  }
  std::string gp = kTerminal;
  gp +=
      "set output 'scaling.svg'\n"
      "set title " +
      GpString("Disjoint scaling: " + run.run_id) +
      " noenhanced\n"
      "set xlabel 'threads'\nset ylabel 'ops/s (median, all threads)'\n"
      "set key left top noenhanced\nset grid\nset logscale x 2\nset yrange [0:*]\n" +
      plot + "\n";
  w->Emit("scaling", dat, gp);
}

void LatencyPlot(const Baseline& run, PlotWriter* w, PlotOutcome* out) {
  // Percentiles of the single-threaded key operations, in the first mode that has them.
  const std::vector<std::pair<std::string, std::string>> ops = {
      {"engine", "get_direct"}, {"engine", "put_direct"}, {"kv", "get"}, {"kv", "put"}};
  std::string dat = "# percentile_index  p50 p90 p95 p99 p99.9 (ns); one block per series\n";
  std::string plot = "plot ";
  int index = 0;
  std::string mode_used;
  for (const std::string mode : {"inmemory", "buffered", "strict"}) {
    for (const auto& b : run.benchmarks) {
      if (b.mode != mode || b.threads != 1) continue;
      bool wanted = false;
      for (const auto& [g, o] : ops) wanted = wanted || (b.group == g && b.op == o);
      if (!wanted) continue;
      const char* names[] = {"p50_ns", "p90_ns", "p95_ns", "p99_ns", "p999_ns"};
      std::string block;
      bool complete = true;
      for (int i = 0; i < 5; ++i) {
        const auto v = gates::MetricValue(b, names[i]);
        if (!v || *v <= 0) {
          complete = false;
          break;
        }
        block += std::to_string(i) + " " + Num(*v) + "\n";
      }
      if (!complete) continue;
      dat += "# " + b.name + "\n" + block + "\n\n";
      if (index > 0) plot += ", \\\n     ";
      plot += "'latency_percentiles.dat' index " + std::to_string(index) +
              " using 1:2 with linespoints lw 2 title " +
              GpString(b.tier + " " + b.group + "/" + b.op + " " + b.engine);
      ++index;
    }
    if (index > 0) {
      mode_used = mode;
      break;
    }
  }
  if (index == 0) {
    out->notes.emplace_back(
        "latency_percentiles.svg skipped: no single-threaded A1/B key operation with latency "
        "percentiles");
    return;
  }
  // Wider canvas: the legend sits to the right of the curves.
  std::string gp =
      "set terminal svg size 1200,560 dynamic enhanced font 'sans,11' background rgb 'white'\n";
  gp +=
      "set output 'latency_percentiles.svg'\n"
      "set title " +
      GpString("Latency percentiles (" + mode_used + "): " + run.run_id) +
      " noenhanced\n"
      "set xtics ('p50' 0, 'p90' 1, 'p95' 2, 'p99' 3, 'p99.9' 4)\n"
      "set ylabel 'ns per operation'\nset logscale y\nset grid\n"
      "set key outside right top noenhanced\nset rmargin 2\n" +
      plot + "\n";
  w->Emit("latency_percentiles", dat, gp);
}

void EnginesPlot(const Baseline& run, PlotWriter* w, PlotOutcome* out) {
  const std::vector<std::string> engines = EnginesOf(run);
  std::string mode;
  for (const std::string m : {"inmemory", "buffered", "strict"}) {
    for (const auto& b : run.benchmarks) {
      if (b.mode == m && b.threads == 1 && (b.tier == "A1" || b.tier == "B")) mode = m;
    }
    if (!mode.empty()) break;
  }
  std::string dat = "op";
  for (const auto& e : engines) dat += " " + e;
  dat += "\n";
  int rows = 0;
  for (const KeyOp& k : kKeyOps) {
    std::string line = std::string(k.tier) + "_" + std::string(k.group) + "/" + std::string(k.op);
    bool any = false;
    for (const auto& e : engines) {
      std::optional<double> v;
      if (!mode.empty()) {
        if (const auto* b = FindCell(run, k.tier, k.group, k.op, e, mode)) v = gates::MedianNs(*b);
      }
      line.append(" ").append(v ? Num(*v) : std::string("?"));
      any = any || v.has_value();
    }
    if (!any) continue;
    dat += line + "\n";
    ++rows;
  }
  if (rows == 0 || engines.empty()) {
    out->notes.emplace_back("engines_ab.svg skipped: no single-threaded A1/B key operation ran");
    return;
  }
  std::string gp = kTerminal;
  gp +=
      "set output 'engines_ab.svg'\n"
      "set title " +
      GpString("Engines side by side (" + mode + ", median ns/op): " + run.run_id) +
      " noenhanced\n"
      "set datafile missing '?'\nset style data histograms\nset style histogram clustered gap 1\n"
      "set style fill solid 0.8 border -1\nset logscale y\nset ylabel 'ns per operation'\n"
      "set xtics rotate by -20 noenhanced\nset grid ytics\nset key left top noenhanced\n"
      "plot ";
  for (std::size_t i = 0; i < engines.size(); ++i) {
    if (i > 0) gp += ", ";
    gp += "'engines_ab.dat' using " + std::to_string(i + 2) + (i == 0 ? ":xtic(1)" : "") +
          " title columnheader(" + std::to_string(i + 2) + ")";
  }
  gp += "\n";
  w->Emit("engines_ab", dat, gp);
}

}  // namespace

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
  ScalingPlot(run, &w, &out);
  LatencyPlot(run, &w, &out);
  EnginesPlot(run, &w, &out);
  return out;
}

}  // namespace statelab::reports
