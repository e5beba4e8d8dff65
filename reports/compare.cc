#include "reports/compare.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "gates/metrics.h"
#include "reports/cells.h"
#include "util/cli_args.h"
#include "util/format.h"
#include "util/json.h"
#include "util/markdown.h"
#include "util/stats.h"

namespace statelab::reports {

namespace json = boost::json;
using gates::RunFile;
using harness::BenchmarkResult;
using util::Join;
using util::Table;

std::string_view ChangeName(Change c) {
  switch (c) {
    case Change::kRegression:
      return "regression";
    case Change::kImprovement:
      return "improvement";
    case Change::kUnchanged:
      return "unchanged";
    case Change::kUnstable:
      return "unstable";
    case Change::kNew:
      return "new";
    case Change::kRemoved:
      return "removed";
  }
  return "unknown";
}

int CompareResult::Count(Change c) const {
  return static_cast<int>(
      std::count_if(rows.begin(), rows.end(), [&](const CompareRow& r) { return r.verdict == c; }));
}

int CompareResult::ExitCode() const {
  if (Count(Change::kRegression) == 0) return util::kExitOk;
  return cross_machine && !options.allow_cross_machine ? util::kExitOk : util::kExitFailed;
}

namespace {

// "unstable in the old run: cv 1.36 > 0.2; max/min 26 > 2." for each unstable side.
std::string UnstableNote(const CompareRow& row) {
  std::string note;
  for (const auto& [st, which] :
       {std::pair{&row.old_stability, "old"}, std::pair{&row.new_stability, "new"}}) {
    if (!st->unstable) continue;
    if (!note.empty()) note += " ";
    note += "unstable in the " + std::string(which) + " run: " + util::StabilityReason(*st) + ".";
  }
  return note;
}

CompareRow Compare(const BenchmarkResult* o, const BenchmarkResult* n, const CompareOptions& opt) {
  CompareRow row;
  const BenchmarkResult& any = n != nullptr ? *n : *o;
  row.name = any.name;
  row.tier = any.tier;
  row.engine = any.engine;
  row.mode = any.mode;
  if (o != nullptr) {
    row.old_median_ns = gates::MedianNs(*o);
    row.n_old = static_cast<int>(o->repetitions.size());
    row.old_stability = StabilityOf(*o);
  }
  if (n != nullptr) {
    row.new_median_ns = gates::MedianNs(*n);
    row.n_new = static_cast<int>(n->repetitions.size());
    row.new_stability = StabilityOf(*n);
  }
  if (o == nullptr) {
    row.verdict = Change::kNew;
    return row;
  }
  if (n == nullptr) {
    row.verdict = Change::kRemoved;
    return row;
  }
  if (!row.old_median_ns || !row.new_median_ns || *row.old_median_ns <= 0) {
    row.note = "no usable median";
    return row;
  }
  row.change_pct = (*row.new_median_ns - *row.old_median_ns) / *row.old_median_ns * 100.0;
  const auto xs = gates::NsPerOp(*o);
  const auto ys = gates::NsPerOp(*n);
  const util::MannWhitneyResult mw = util::MannWhitneyU(xs, ys);
  row.p_value = mw.p_value;
  row.method = std::string(mw.method);
  // Repetitions that disagree with each other have no single speed: no verdict either way.
  if (row.old_stability.unstable || row.new_stability.unstable) {
    row.verdict = Change::kUnstable;
    row.note = UnstableNote(row);
    return row;
  }
  const bool beyond = std::fabs(*row.change_pct) > opt.threshold_pct;
  const bool significant = mw.p_value < opt.alpha;
  if (beyond && significant) {
    row.verdict = *row.change_pct > 0 ? Change::kRegression : Change::kImprovement;
  } else if (beyond) {
    row.note = util::MinTwoSidedP(row.n_old, row.n_new) >= opt.alpha
                   ? "too few repetitions for p < alpha (n=" + std::to_string(row.n_old) + "/" +
                         std::to_string(row.n_new) + ")"
                   : "change beyond threshold but not significant";
  } else if (significant) {
    row.note = "significant but within threshold";
  }
  return row;
}

void AddGeo(const std::map<std::string, std::vector<double>>& groups,
            std::vector<GeoSummary>* out) {
  for (const auto& [key, ratios] : groups) {
    const auto g = util::GeometricMean(ratios);
    if (!g) continue;
    out->push_back({key, static_cast<int>(ratios.size()), *g});
  }
}

// Each warning once, prefixed with the run(s) that recorded it. A run's "not valid as a baseline"
// warning is left out when the validity note already says so.
std::vector<std::string> MergeWarnings(const gates::EnvironmentFacts& old_facts,
                                       const gates::EnvironmentFacts& new_facts) {
  constexpr std::string_view kValidityWarning = "not valid as a baseline";
  auto listed = [&](const gates::EnvironmentFacts& f) {
    std::vector<std::string> out;
    for (const auto& w : f.warnings) {
      if (!f.valid_as_baseline && w.starts_with(kValidityWarning)) continue;
      out.push_back(w);
    }
    return out;
  };
  const std::vector<std::string> old_w = listed(old_facts);
  const std::vector<std::string> new_w = listed(new_facts);
  auto in = [](const std::vector<std::string>& xs, const std::string& x) {
    return std::find(xs.begin(), xs.end(), x) != xs.end();
  };
  std::vector<std::string> out;
  out.reserve(old_w.size() + new_w.size());
  for (const auto& w : old_w) out.push_back((in(new_w, w) ? "both runs: " : "old run: ") + w);
  for (const auto& w : new_w) {
    if (!in(old_w, w)) out.push_back("new run: " + w);
  }
  return out;
}

}  // namespace

Status CheckSameWorkloads(const harness::Baseline& old_run, const harness::Baseline& new_run) {
  auto definition = [](const boost::json::value& w) -> std::string {
    const boost::json::value* d =
        w.is_object() ? w.get_object().if_contains("definition_sha256") : nullptr;
    return d != nullptr && d->is_string() ? std::string(d->get_string()) : std::string();
  };
  std::string differ;
  for (const boost::json::key_value_pair& o : old_run.workloads) {
    const boost::json::value* n = new_run.workloads.if_contains(o.key());
    if (n == nullptr || definition(o.value()) == definition(*n)) continue;
    differ += (differ.empty() ? "" : "; ") + std::string(o.key()) + " (" +
              definition(o.value()).substr(0, 12) + " vs " + definition(*n).substr(0, 12) + ")";
  }
  if (differ.empty()) return Status::OK();
  return Status::InvalidArgument(
      "the runs define workloads of the same name differently (definition_sha256 old vs new): " +
      differ + "; their ycsb cells measure different things");
}

CompareResult CompareBaselines(const RunFile& old_file, const RunFile& new_file,
                               const CompareOptions& options) {
  const harness::Baseline& old_run = old_file.baseline;
  const harness::Baseline& new_run = new_file.baseline;
  CompareResult r;
  r.options = options;
  r.old_path = old_file.path;
  r.new_path = new_file.path;
  r.old_run_id = old_run.run_id;
  r.new_run_id = new_run.run_id;
  r.old_commit = old_run.git.commit;
  r.new_commit = new_run.git.commit;
  r.cross_machine = gates::DifferentMachines(old_run, new_run, &r.cross_machine_reason);
  const gates::EnvironmentFacts old_facts = gates::ReadEnvironmentFacts(old_run.environment);
  const gates::EnvironmentFacts new_facts = gates::ReadEnvironmentFacts(new_run.environment);
  for (const auto& [facts, which] : {std::pair{&old_facts, "old"}, std::pair{&new_facts, "new"}}) {
    if (!facts->valid_as_baseline) {
      r.notes.push_back(std::string(which) + " run is marked invalid as a baseline: " +
                        Join(facts->validity_reasons, "; "));
    }
  }
  r.environment_warnings = MergeWarnings(old_facts, new_facts);

  std::set<std::string> seen;
  for (const auto& o : old_run.benchmarks) {
    if (!seen.insert(o.name).second) {
      r.notes.push_back("duplicate benchmark name in old run: " + o.name + " (first one used)");
      continue;
    }
    r.rows.push_back(Compare(&o, gates::FindBenchmark(new_run, o.name), options));
  }
  std::set<std::string> seen_new;
  for (const auto& n : new_run.benchmarks) {
    if (!seen_new.insert(n.name).second) {
      r.notes.push_back("duplicate benchmark name in new run: " + n.name + " (first one used)");
      continue;
    }
    if (gates::FindBenchmark(old_run, n.name) == nullptr) {
      r.rows.push_back(Compare(nullptr, &n, options));
    }
  }

  std::map<std::string, std::vector<double>> tiers, engines;
  std::vector<double> all;
  for (const auto& row : r.rows) {
    if (row.verdict == Change::kUnstable || !row.old_median_ns || !row.new_median_ns ||
        *row.old_median_ns <= 0 || *row.new_median_ns <= 0) {
      continue;
    }
    const double ratio = *row.new_median_ns / *row.old_median_ns;
    tiers[row.tier].push_back(ratio);
    engines[row.engine].push_back(ratio);
    all.push_back(ratio);
  }
  AddGeo(tiers, &r.by_tier);
  AddGeo(engines, &r.by_engine);
  if (auto g = util::GeometricMean(all))
    r.overall = GeoSummary{"all", static_cast<int>(all.size()), *g};
  return r;
}

namespace {

std::string Opt(const std::optional<double>& v) { return v ? util::FormatNumber(*v) : "—"; }

void RowsTable(const CompareResult& r, std::optional<Change> only, std::string* md) {
  Table t({"benchmark", "old median ns", "new median ns", "change", "p", "n old/new", "cv old/new",
           "verdict", "note"});
  for (const auto& row : r.rows) {
    if (only && row.verdict != *only) continue;
    t.Add({"`" + row.name + "`", Opt(row.old_median_ns), Opt(row.new_median_ns),
           row.change_pct ? util::FormatPct(*row.change_pct) : "—",
           row.p_value ? util::FormatP(*row.p_value) : "—",
           std::to_string(row.n_old) + "/" + std::to_string(row.n_new),
           CvText(row.old_stability) + "/" + CvText(row.new_stability),
           std::string(ChangeName(row.verdict)), row.note});
  }
  *md += t.Render();
}

void GeoTable(const std::string& title, const std::vector<GeoSummary>& rows, std::string* md) {
  Table t({title, "benchmarks", "geomean new/old", "change"});
  for (const auto& g : rows) {
    t.Add({g.key, std::to_string(g.count), util::FormatNumber(g.geomean_ratio),
           util::FormatPct((g.geomean_ratio - 1) * 100)});
  }
  *md += t.Render();
}

}  // namespace

std::string CompareToMarkdown(const CompareResult& r) {
  std::string md = "# Compare: " + r.old_run_id + " -> " + r.new_run_id + "\n\n";
  if (r.cross_machine) {
    md += "> **WARNING: cross-machine comparison.** The runs come from different machines (" +
          r.cross_machine_reason + "). Differences may come from the hardware, not the code. " +
          (r.options.allow_cross_machine
               ? std::string("--allow-cross-machine was given: regressions fail.")
               : std::string("Regressions are reported but do not fail (exit 0) unless "
                             "--allow-cross-machine is given.")) +
          "\n\n";
  }
  if (!r.environment_warnings.empty()) {
    md += "> **Environment warnings** recorded by the runs (noise from these can move any cell):\n";
    for (const auto& w : r.environment_warnings) md += "> - " + w + "\n";
    md += "\n";
  }
  for (const auto& n : r.notes) md += "> Note: " + n + "\n\n";
  md += "- Old: `" + r.old_path + "` (commit " + r.old_commit + ")\n";
  md += "- New: `" + r.new_path + "` (commit " + r.new_commit + ")\n";
  md += "- Rule: a regression needs |change| > " + util::FormatNumber(r.options.threshold_pct) +
        "% of the old median AND a two-sided Mann-Whitney U p-value < " +
        util::FormatNumber(r.options.alpha) +
        " over the repetitions' ns_per_op (exact distribution with ties for <= " +
        std::to_string(util::kMannWhitneyExactMaxN) +
        " values in total, else the normal approximation with continuity and tie correction). A "
        "cell whose repetitions are unstable in either run (" +
        util::StabilityRule() + ") is `unstable`: no verdict, never an exit code.\n";
  md += "- Result: " + std::to_string(r.Count(Change::kRegression)) + " regressions, " +
        std::to_string(r.Count(Change::kImprovement)) + " improvements, " +
        std::to_string(r.Count(Change::kUnchanged)) + " unchanged, " +
        std::to_string(r.Count(Change::kUnstable)) + " unstable, " +
        std::to_string(r.Count(Change::kNew)) + " new, " +
        std::to_string(r.Count(Change::kRemoved)) + " removed; exit code " +
        std::to_string(r.ExitCode()) + "\n\n";
  if (r.Count(Change::kRegression) > 0) {
    md += "## Regressions\n\n";
    RowsTable(r, Change::kRegression, &md);
    md += "\n";
  }
  if (r.Count(Change::kImprovement) > 0) {
    md += "## Improvements\n\n";
    RowsTable(r, Change::kImprovement, &md);
    md += "\n";
  }
  if (r.Count(Change::kUnstable) > 0) {
    md +=
        "## Unstable (no verdict)\n\nThe repetitions of these cells disagree too much to tell a "
        "change from noise; rerun them on a quieter machine, with more repetitions, or compare "
        "them with a paired A/B run.\n\n";
    RowsTable(r, Change::kUnstable, &md);
    md += "\n";
  }
  md += "## Geometric mean of new/old median (benchmarks in both runs, unstable ones left out)\n\n";
  if (r.overall) {
    md += "Overall: " + util::FormatNumber(r.overall->geomean_ratio) + " (" +
          util::FormatPct((r.overall->geomean_ratio - 1) * 100) + ") over " +
          std::to_string(r.overall->count) + " benchmarks\n\n";
  }
  GeoTable("tier", r.by_tier, &md);
  md += "\n";
  GeoTable("engine", r.by_engine, &md);
  md += "\n## All benchmarks\n\n";
  RowsTable(r, std::nullopt, &md);
  return md;
}

namespace {

json::value StabilityToJson(const util::Stability& s) {
  json::array reasons;
  for (const auto& x : s.reasons) reasons.emplace_back(x);
  return json::object{{"n", s.n},
                      {"judged", s.judged},
                      {"cv", util::NumberOrNull(s.cv)},
                      {"max_over_min", util::NumberOrNull(s.max_over_min)},
                      {"bimodal", s.bimodal.has_value()},
                      {"unstable", s.unstable},
                      {"reasons", std::move(reasons)}};
}

}  // namespace

json::value CompareToJson(const CompareResult& r) {
  json::object o;
  o["kind"] = "statelab.compare";
  o["schema_version"] = "1";
  o["old"] = {{"path", r.old_path}, {"run_id", r.old_run_id}, {"commit", r.old_commit}};
  o["new"] = {{"path", r.new_path}, {"run_id", r.new_run_id}, {"commit", r.new_commit}};
  o["threshold_pct"] = r.options.threshold_pct;
  o["alpha"] = r.options.alpha;
  o["cross_machine"] = {{"different", r.cross_machine},
                        {"reason", r.cross_machine_reason},
                        {"allowed", r.options.allow_cross_machine}};
  json::array notes;
  for (const auto& n : r.notes) notes.emplace_back(n);
  o["notes"] = std::move(notes);
  json::array env_warnings;
  for (const auto& w : r.environment_warnings) env_warnings.emplace_back(w);
  o["environment_warnings"] = std::move(env_warnings);
  o["counts"] = {{"regression", r.Count(Change::kRegression)},
                 {"improvement", r.Count(Change::kImprovement)},
                 {"unchanged", r.Count(Change::kUnchanged)},
                 {"unstable", r.Count(Change::kUnstable)},
                 {"new", r.Count(Change::kNew)},
                 {"removed", r.Count(Change::kRemoved)}};
  o["exit_code"] = r.ExitCode();
  auto geo = [](const std::vector<GeoSummary>& gs) {
    json::array a;
    for (const auto& g : gs) {
      a.push_back(
          json::object{{"key", g.key}, {"count", g.count}, {"geomean_ratio", g.geomean_ratio}});
    }
    return a;
  };
  o["geomean"] = {
      {"overall", r.overall ? json::value(r.overall->geomean_ratio) : json::value(nullptr)},
      {"by_tier", geo(r.by_tier)},
      {"by_engine", geo(r.by_engine)}};
  json::array rows;
  for (const auto& row : r.rows) {
    rows.push_back(json::object{{"name", row.name},
                                {"tier", row.tier},
                                {"engine", row.engine},
                                {"mode", row.mode},
                                {"old_median_ns", util::NumberOrNull(row.old_median_ns)},
                                {"new_median_ns", util::NumberOrNull(row.new_median_ns)},
                                {"change_pct", util::NumberOrNull(row.change_pct)},
                                {"p_value", util::NumberOrNull(row.p_value)},
                                {"test", row.method},
                                {"n_old", row.n_old},
                                {"n_new", row.n_new},
                                {"old_stability", StabilityToJson(row.old_stability)},
                                {"new_stability", StabilityToJson(row.new_stability)},
                                {"verdict", ChangeName(row.verdict)},
                                {"note", row.note}});
  }
  o["rows"] = std::move(rows);
  return o;
}

}  // namespace statelab::reports
