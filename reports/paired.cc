#include "reports/paired.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "gates/metrics.h"
#include "util/cli_args.h"
#include "util/format.h"
#include "util/markdown.h"
#include "util/stats.h"

namespace statelab::reports {

namespace json = boost::json;

namespace {

std::string Label(const gates::RunFile& run) {
  return run.baseline.git.commit == "unknown" ? run.baseline.run_id : run.baseline.git.commit;
}

std::string IntervalText(const PairedRow& row) {
  if (row.verdict == PairedVerdict::kTooFewPairs) return "—";
  // Appended piece by piece: GCC 12 -O3 misreads "[" + <temporary string> (-Wrestrict).
  std::string out = "[";
  out += util::FormatNumber(row.interval.lo);
  out += ", ";
  out += util::FormatNumber(row.interval.hi);
  out += "]";
  return out;
}

}  // namespace

Interval MedianInterval(std::span<const double> ratios, double confidence) {
  std::vector<double> x(ratios.begin(), ratios.end());
  std::sort(x.begin(), x.end());
  const size_t n = x.size();
  Interval out;
  out.median = *util::Median(x);
  out.lo = x.front();
  out.hi = x.back();
  // below = P(Binomial(n, 1/2) < k), accumulated term by term; the interval [x_(k), x_(n+1-k)]
  // misses the median with probability 2 * below.
  double term = std::pow(0.5, static_cast<double>(n));  // P(B = 0)
  double below = 0;
  for (size_t k = 1; 2 * k <= n + 1; ++k) {
    below += term;
    const double coverage = 1 - 2 * below;
    if (coverage < confidence) break;
    out.lo = x[k - 1];
    out.hi = x[n - k];
    out.coverage = coverage;
    out.attained = true;
    term = term * static_cast<double>(n - k + 1) / static_cast<double>(k);  // P(B = k)
  }
  if (!out.attained) out.coverage = 1 - 2 * std::pow(0.5, static_cast<double>(n));
  return out;
}

std::string_view PairedVerdictName(PairedVerdict v) {
  switch (v) {
    case PairedVerdict::kRegression:
      return "regression";
    case PairedVerdict::kImprovement:
      return "improvement";
    case PairedVerdict::kUnchanged:
      return "unchanged";
    case PairedVerdict::kInconclusive:
      return "inconclusive";
    case PairedVerdict::kTooFewPairs:
      return "too few pairs";
  }
  return "unknown";
}

PairedVerdict Decide(const Interval& interval, double threshold_pct) {
  if (!interval.attained) return PairedVerdict::kInconclusive;
  const double t = threshold_pct / 100;
  if (interval.lo > 1 + t) return PairedVerdict::kRegression;
  if (interval.hi < 1 - t) return PairedVerdict::kImprovement;
  if (interval.lo >= 1 - t && interval.hi <= 1 + t) return PairedVerdict::kUnchanged;
  return PairedVerdict::kInconclusive;
}

int PairedResult::Count(PairedVerdict v) const {
  return static_cast<int>(
      std::count_if(rows.begin(), rows.end(), [&](const PairedRow& r) { return r.verdict == v; }));
}

int PairedResult::ExitCode() const {
  return Count(PairedVerdict::kRegression) > 0 ? util::kExitFailed : util::kExitOk;
}

Result<PairedResult> ComparePaired(const std::vector<gates::RunFile>& a,
                                   const std::vector<gates::RunFile>& b,
                                   const PairedOptions& options) {
  if (a.empty() || a.size() != b.size()) {
    return Status::InvalidArgument("paired runs: " + std::to_string(a.size()) + " A runs and " +
                                   std::to_string(b.size()) +
                                   " B runs (need the same number, at least one)");
  }
  PairedResult out;
  out.options = options;
  out.pairs = static_cast<int>(a.size());
  out.a_label = Label(a.front());
  out.b_label = Label(b.front());
  struct Values {
    std::vector<double> a, b;
  };
  std::map<std::string, Values> by_name;
  for (size_t i = 0; i < a.size(); ++i) {
    for (const harness::BenchmarkResult& x : a[i].baseline.benchmarks) {
      Values& v = by_name[x.name];  // every cell of either side gets a row
      const harness::BenchmarkResult* y = gates::FindBenchmark(b[i].baseline, x.name);
      const std::optional<double> ma = gates::MedianNs(x);
      const std::optional<double> mb = y != nullptr ? gates::MedianNs(*y) : std::nullopt;
      if (ma && mb && *ma > 0 && *mb > 0) {
        v.a.push_back(*ma);
        v.b.push_back(*mb);
      }
    }
    for (const harness::BenchmarkResult& y : b[i].baseline.benchmarks) by_name[y.name];
  }
  out.cell_confidence =
      1 - options.alpha / (static_cast<double>(std::max<size_t>(by_name.size(), 1)) *
                           std::max(options.looks, 1));
  for (auto& [name, v] : by_name) {
    PairedRow row;
    row.name = name;
    for (size_t i = 0; i < v.a.size(); ++i) row.ratios.push_back(v.b[i] / v.a[i]);
    row.a_median_ns = util::Median(v.a).value_or(0);
    row.b_median_ns = util::Median(v.b).value_or(0);
    row.interval.median = util::Median(row.ratios).value_or(1);
    if (static_cast<int>(row.ratios.size()) >= options.min_pairs) {
      row.interval = MedianInterval(row.ratios, out.cell_confidence);
      row.verdict = Decide(row.interval, options.threshold_pct);
    }
    out.rows.push_back(std::move(row));
  }
  return out;
}

Result<std::vector<gates::RunFile>> LoadPairRuns(const std::string& dir) {
  std::vector<gates::RunFile> out;
  for (int i = 1;; ++i) {
    const std::string path =
        (std::filesystem::path(dir) / ("pair_" + std::to_string(i)) / "baseline.json").string();
    if (!std::filesystem::exists(path)) break;
    STATELAB_ASSIGN_OR_RETURN(gates::RunFile run, gates::LoadRunFile(path));
    out.push_back(std::move(run));
  }
  if (out.empty()) return Status::InvalidArgument(dir + ": no pair_1/baseline.json");
  return out;
}

std::string PairedToMarkdown(const PairedResult& r) {
  std::string md = "# Paired A/B: " + r.a_label + " (A) -> " + r.b_label + " (B)\n\n";
  md += "- " + std::to_string(r.pairs) +
        " pairs, each one repetition of the selected cells on each side, A B or B A at random "
        "(the pairs column: how many a cell had; the runner adds pairs for inconclusive cells).\n";
  md += "- Rule: per cell, the ratios B/A of its pairs; an exact distribution-free interval of "
        "their median (order statistics) at " +
        util::FormatNumber(r.cell_confidence * 100) + "% confidence, so that the chance of any "
        "false verdict over the " + std::to_string(r.rows.size()) + " cell(s) and " +
        std::to_string(r.options.looks) + " look(s) stays below " +
        util::FormatNumber(r.options.alpha) +
        " (Bonferroni). Regression only when the interval lies wholly above " +
        util::FormatNumber(1 + r.options.threshold_pct / 100) +
        ", improvement only when wholly below " +
        util::FormatNumber(1 - r.options.threshold_pct / 100) +
        ", unchanged only when wholly between the two; an interval across either bound, or "
        "one that cannot reach the confidence with so few pairs (its coverage column is "
        "lower), is inconclusive; fewer than " +
        std::to_string(r.options.min_pairs) + " pairs: no verdict.\n";
  md += "- Result: " + std::to_string(r.Count(PairedVerdict::kRegression)) + " regressions, " +
        std::to_string(r.Count(PairedVerdict::kImprovement)) + " improvements, " +
        std::to_string(r.Count(PairedVerdict::kUnchanged)) + " unchanged, " +
        std::to_string(r.Count(PairedVerdict::kInconclusive)) + " inconclusive, " +
        std::to_string(r.Count(PairedVerdict::kTooFewPairs)) + " with too few pairs; exit code " +
        std::to_string(r.ExitCode()) + "\n\n";
  util::Table t({"benchmark", "pairs", "A median ns", "B median ns", "median B/A", "interval",
                 "coverage", "verdict"});
  for (const PairedRow& row : r.rows) {
    const bool judged = row.verdict != PairedVerdict::kTooFewPairs;
    t.Add({"`" + row.name + "`", std::to_string(row.ratios.size()),
           util::FormatNumber(row.a_median_ns), util::FormatNumber(row.b_median_ns),
           row.ratios.empty() ? "—" : util::FormatNumber(row.interval.median), IntervalText(row),
           judged ? util::FormatNumber(row.interval.coverage * 100) + "%" : "—",
           std::string(PairedVerdictName(row.verdict))});
  }
  md += t.Render();
  return md;
}

json::value PairedToJson(const PairedResult& r) {
  json::object o;
  o["kind"] = "statelab.compare.paired";
  o["schema_version"] = "1";
  o["a"] = r.a_label;
  o["b"] = r.b_label;
  o["pairs"] = r.pairs;
  o["threshold_pct"] = r.options.threshold_pct;
  o["alpha"] = r.options.alpha;
  o["looks"] = r.options.looks;
  o["cell_confidence"] = r.cell_confidence;
  o["min_pairs"] = r.options.min_pairs;
  json::array rows;
  for (const PairedRow& row : r.rows) {
    json::array ratios;
    for (double x : row.ratios) ratios.emplace_back(x);
    const bool decided = row.verdict != PairedVerdict::kTooFewPairs;
    rows.emplace_back(
        json::object{{"name", row.name},
                     {"ratios", std::move(ratios)},
                     {"a_median_ns", row.a_median_ns},
                     {"b_median_ns", row.b_median_ns},
                     {"median_ratio",
                      row.ratios.empty() ? json::value(nullptr) : json::value(row.interval.median)},
                     {"interval_lo", decided ? json::value(row.interval.lo) : json::value(nullptr)},
                     {"interval_hi", decided ? json::value(row.interval.hi) : json::value(nullptr)},
                     {"interval_coverage",
                      decided ? json::value(row.interval.coverage) : json::value(nullptr)},
                     {"verdict", PairedVerdictName(row.verdict)}});
  }
  o["rows"] = std::move(rows);
  o["counts"] = {{"regression", r.Count(PairedVerdict::kRegression)},
                 {"improvement", r.Count(PairedVerdict::kImprovement)},
                 {"unchanged", r.Count(PairedVerdict::kUnchanged)},
                 {"inconclusive", r.Count(PairedVerdict::kInconclusive)},
                 {"too_few_pairs", r.Count(PairedVerdict::kTooFewPairs)}};
  o["exit_code"] = r.ExitCode();
  return o;
}

}  // namespace statelab::reports
