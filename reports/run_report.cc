#include "reports/run_report.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <variant>

#include "gates/metrics.h"
#include "gates/run_facts.h"
#include "reports/cells.h"
#include "reports/plots.h"
#include "util/format.h"
#include "util/json.h"
#include "util/markdown.h"
#include "util/stats.h"

namespace statelab::reports {

namespace fs = std::filesystem;
namespace json = boost::json;
using harness::Baseline;
using harness::BenchmarkResult;
using util::FormatNumber;
using util::Join;
using util::Table;

std::string FindOnPath(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  if (path == nullptr) return "";
  std::string p = path;
  std::size_t start = 0;
  while (start <= p.size()) {
    std::size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    const std::string dir = p.substr(start, end - start);
    if (!dir.empty()) {
      std::string candidate = dir + "/";
      candidate += name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    start = end + 1;
  }
  return "";
}

namespace {

std::string YesNo(bool b) { return b ? "yes" : "no"; }

std::string Opt(const std::optional<double>& v) { return v ? FormatNumber(*v) : "—"; }

std::string OptRatio(const std::optional<double>& a, const std::optional<double>& b) {
  if (!a || !b || *b <= 0) return "—";
  return FormatNumber(*a / *b) + "x";
}

std::optional<double> MedianOf(const BenchmarkResult* b) {
  return b != nullptr ? gates::MedianNs(*b) : std::nullopt;
}

std::string EnvString(const Baseline& run, std::string_view path) {
  const json::value* v = util::FindPath(run.environment, path);
  if (v == nullptr || v->is_null()) return "unknown";
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_bool()) return YesNo(v->get_bool());
  if (v->is_int64() || v->is_uint64()) return json::serialize(*v);
  if (auto n = util::AsNumber(v)) return FormatNumber(*n);
  return json::serialize(*v);
}

bool IsPeer(const Baseline& run, const std::string& engine) {
  for (const auto& b : run.benchmarks) {
    if (b.engine == engine) return b.kind == harness::kKindPeer;
  }
  return false;
}

std::string Header(const std::string& title, const Baseline& run) {
  return "# " + title + ": " + run.run_id + "\n\n";
}

// "1000 (980–1020, cv 1.6%, n 5)": a median with the range and cv of its repetitions.
std::string WithSpread(double median, const std::vector<double>& values,
                       const util::Stability& st) {
  if (values.empty()) return FormatNumber(median);
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  return FormatNumber(median) + " (" + FormatNumber(*lo) + "–" + FormatNumber(*hi) + ", cv " +
         CvText(st) + ", n " + std::to_string(st.n) + ")";
}

std::string StabilityText(const util::Stability& st) {
  if (st.unstable) return "**unstable**: " + util::StabilityReason(st);
  return st.judged ? "stable" : "not judged (n " + std::to_string(st.n) + ")";
}

// Formats the cells of one report with their spread and remembers the unstable ones, so the report
// can say why each is marked. Not synchronized (one per report).
class CellFormatter {
 public:
  // Median ns per op with its spread; "**unstable**" appended to an unstable cell; "—" when absent.
  std::string MedianNs(const BenchmarkResult* b) {
    const std::optional<double> median = b != nullptr ? gates::MedianNs(*b) : std::nullopt;
    if (!median) return "—";
    const util::Stability st = StabilityOf(*b);
    return Mark(*b, st, WithSpread(*median, gates::NsPerOp(*b), st));
  }
  // Median ops/s (all threads) with the range and cv of the repetitions' throughput.
  std::string OpsPerSec(const BenchmarkResult& b) {
    const std::optional<double> median = gates::MetricValue(b, "ops_per_sec");
    if (!median) return "—";
    const std::vector<double> ops = gates::OpsPerSec(b);
    return Mark(b, StabilityOf(b), WithSpread(*median, ops, util::JudgeStability(ops)));
  }
  // Remembers `b` when it is unstable (for a table that shows it in its own columns).
  void Note(const BenchmarkResult& b) { Mark(b, StabilityOf(b), ""); }

  // "## Unstable cells" with the reason of every unstable cell seen, "" when there was none.
  std::string Render() const {
    if (unstable_.empty()) return "";
    Table t({"benchmark", "median ns", "repetitions (ns per op)", "cv", "max/min", "why"});
    for (const BenchmarkResult* b : unstable_) {
      const util::Stability st = StabilityOf(*b);
      std::vector<std::string> reps;
      for (double v : gates::NsPerOp(*b)) reps.push_back(FormatNumber(v));
      t.Add({"`" + b->name + "`", Opt(gates::MedianNs(*b)), Join(reps, ", "), CvText(st),
             st.max_over_min ? FormatNumber(*st.max_over_min) + "x" : "—",
             util::StabilityReason(st)});
    }
    return "## Unstable cells\n\nTheir repetitions disagree too much for the median to stand for "
           "the cell (" +
           util::StabilityRule() +
           "; docs/compare.md#stability); compare gives them no verdict.\n\n" + t.Render() + "\n";
  }

 private:
  std::string Mark(const BenchmarkResult& b, const util::Stability& st, std::string text) {
    if (!st.unstable) return text;
    if (std::find(unstable_.begin(), unstable_.end(), &b) == unstable_.end()) {
      unstable_.push_back(&b);
    }
    return text.empty() ? text : text + " **unstable**";
  }

  std::vector<const BenchmarkResult*> unstable_;
};

// A cell measured at several sizes `n`: same tier, group, op, engine, mode, threads and other
// params. Per-item cost is the memory tier's bytes per item as the cell reports it, otherwise the
// median ns per op divided by n (for a cell whose one op covers n items, such as replay, the cost
// of each item; for a lookup among n items, a figure that falls as n grows).
struct GrowthPoint {
  double n = 0;
  const BenchmarkResult* b = nullptr;
  double per_item = 0;
};
struct GrowthSeries {
  std::string cell;  // tier/group/op
  const BenchmarkResult* first = nullptr;
  std::string params;               // the params other than n
  std::string unit;                 // "ns" or the memory tier's extra key ("bytes_per_key")
  std::vector<GrowthPoint> points;  // by n, ascending
  double worst = 1;                 // max per-item cost / the smallest size's
};

// Issue 25's bound on replay: the per-item cost at the largest size within 1.2x the smallest's.
constexpr double kSuperlinearRatio = 1.2;

std::vector<GrowthSeries> GrowthOf(const Baseline& run) {
  std::map<std::string, GrowthSeries> by_key;
  std::vector<std::string> order;
  for (const auto& b : run.benchmarks) {
    const auto it = b.params.find("n");
    const double* n = it == b.params.end() ? nullptr : std::get_if<double>(&it->second);
    if (n == nullptr || *n <= 0) continue;
    std::string unit = "ns";
    std::optional<double> per_item;
    for (const auto& [key, value] : b.extra) {
      if (key.starts_with("bytes_per_")) {
        unit = key;
        per_item = value;
      }
    }
    if (!per_item) {
      const std::optional<double> median = gates::MedianNs(b);
      if (!median) continue;
      per_item = *median / *n;
    }
    harness::Params rest = b.params;
    rest.erase("n");
    const std::string cell = b.tier + "/" + b.group + "/" + b.op;
    std::string key = cell;
    for (const std::string& part :
         {b.engine, b.mode, std::to_string(b.threads), harness::ParamsText(rest), unit}) {
      key += "|";
      key += part;
    }
    auto [pos, fresh] = by_key.try_emplace(key);
    if (fresh) {
      order.push_back(key);
      pos->second = {cell, &b, harness::ParamsText(rest), unit, {}, 1};
    }
    pos->second.points.push_back({*n, &b, *per_item});
  }
  std::vector<GrowthSeries> out;
  for (const auto& key : order) {
    GrowthSeries& s = by_key.at(key);
    std::sort(s.points.begin(), s.points.end(),
              [](const GrowthPoint& a, const GrowthPoint& b) { return a.n < b.n; });
    if (s.points.size() < 2 || s.points.front().n == s.points.back().n) continue;
    for (const GrowthPoint& p : s.points) {
      if (s.points.front().per_item > 0) {
        s.worst = std::max(s.worst, p.per_item / s.points.front().per_item);
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::string SeriesLabel(const GrowthSeries& s) {
  return s.cell + " " + s.first->engine + " " + s.first->mode +
         (s.first->threads > 1 ? " " + std::to_string(s.first->threads) + " threads" : "") +
         (s.params.empty() ? "" : " " + s.params);
}

}  // namespace

std::string RenderSummary(const Baseline& run, const gates::VerdictFileSummary* gv,
                          const std::string& gates_note, const std::vector<std::string>& notes) {
  const gates::EnvironmentFacts facts = gates::ReadEnvironmentFacts(run.environment);
  const std::string label = gates::RunLabel(run.run_id);
  std::string md = Header("Run summary", run);
  Table info({"field", "value"});
  info.Add({"created (UTC)", run.created_utc});
  info.Add({"commit", run.git.commit + " (branch " + run.git.branch + ", dirty: " +
                          (run.git.dirty ? YesNo(*run.git.dirty) : std::string("unknown")) + ")"});
  info.Add({"label", label.empty() ? "—" : label});
  info.Add({"suite", run.config.suite});
  info.Add({"engines", Join(run.config.engines, ", ")});
  info.Add({"modes", Join(run.config.modes, ", ")});
  info.Add({"repetitions", std::to_string(run.config.repetitions)});
  info.Add({"benchmarks", std::to_string(run.benchmarks.size())});
  info.Add({"valid as baseline",
            facts.valid_as_baseline ? "yes" : "no: " + Join(facts.validity_reasons, "; ")});
  info.Add({"reference hardware",
            facts.reference_match ? "yes" : "no: " + Join(facts.reference_reasons, "; ")});
  md += info.Render() + "\n";

  md += "## Gate verdicts\n\n";
  if (gv == nullptr) {
    md += "Gates not evaluated: " + gates_note + "\n\n";
  } else {
    md += "Rules: " + std::to_string(gv->rules_pass) + " pass, " + std::to_string(gv->rules_warn) +
          " warn, " + std::to_string(gv->rules_fail) + " fail, " + std::to_string(gv->rules_skip) +
          " skip (verdicts: " + std::to_string(gv->verdicts_pass) + " pass, " +
          std::to_string(gv->verdicts_warn) + " warn, " + std::to_string(gv->verdicts_fail) +
          " fail, " + std::to_string(gv->verdicts_skip) +
          " skip). Details: [gates.md](gates.md).\n\n";
    if (!gv->reference_match) {
      md += "Not reference hardware: reference-only rules are advisory (warn, never fail).\n\n";
    }
    md += "### Failures\n\n";
    Table f({"rule", "subject", "reason"});
    for (const auto& item : gv->failures) f.Add({item.id, item.subject, item.reason});
    md += f.Render() + "\n";
    md += "### Warnings\n\n";
    Table w({"rule", "subject", "reason"});
    for (const auto& item : gv->warnings) w.Add({item.id, item.subject, item.reason});
    md += w.Render() + "\n";
  }

  // Key latencies: the single-threaded hot paths per engine x mode, each with its spread.
  Table lat({"op", "mode", "engine", "median ns", "min ns", "max ns", "cv", "repetitions", "p99 ns",
             "p99 samples", "stability"});
  for (const KeyOp& k : kKeyOps) {
    for (const auto& m : ModesOf(run)) {
      for (const auto& e : EnginesOf(run)) {
        const BenchmarkResult* b = FindCell(run, k.tier, k.group, k.op, e, m);
        if (b == nullptr) continue;
        const util::Stability st = StabilityOf(*b);
        const std::vector<double> ns = gates::NsPerOp(*b);
        const auto [lo, hi] = std::minmax_element(ns.begin(), ns.end());
        lat.Add({std::string(k.tier) + " " + std::string(k.group) + "/" + std::string(k.op), m, e,
                 Opt(MedianOf(b)), ns.empty() ? "—" : FormatNumber(*lo),
                 ns.empty() ? "—" : FormatNumber(*hi), CvText(st), std::to_string(st.n),
                 Opt(gates::MetricValue(*b, "p99_ns")),
                 b->latency ? std::to_string(b->latency->samples) : "—", StabilityText(st)});
      }
    }
  }
  md +=
      "## Key latencies (single thread)\n\nMedian, min and max of the repetitions' ns per op, "
      "their cv, and p99 from the latency histogram with its sample count.\n\n" +
      lat.Render() + "\n";
  CellFormatter all;
  for (const auto& b : run.benchmarks) all.Note(b);
  const std::string unstable = all.Render();
  md += unstable.empty() ? "## Unstable cells\n\n_(none)_\n\n" : unstable;

  const std::vector<GrowthSeries> growth = GrowthOf(run);
  std::vector<std::string> superlinear;
  for (const GrowthSeries& g : growth) {
    if (g.worst > kSuperlinearRatio) {
      superlinear.push_back(SeriesLabel(g) + " (" + FormatNumber(g.worst) + "x)");
    }
  }
  md += "## Growth\n\n" + std::to_string(growth.size()) +
        " cells measured at several sizes; per-item cost at each size in "
        "[ab_engines.md](ab_engines.md#growth). Superlinear (per-item cost above " +
        FormatNumber(kSuperlinearRatio) + "x the smallest size's): " +
        (superlinear.empty() ? "none" : std::to_string(superlinear.size())) + "\n\n";
  for (const auto& line : superlinear) md += "- " + line + "\n";
  if (!superlinear.empty()) md += "\n";

  md += "## Environment\n\n";
  Table env({"field", "value"});
  env.Add({"host", facts.hostname});
  env.Add({"CPU", EnvString(run, "cpu.model")});
  env.Add({"cores / hardware threads",
           EnvString(run, "cpu.cores") + " / " + EnvString(run, "cpu.pus")});
  env.Add({"cores used by the run", std::to_string(run.config.cores)});
  env.Add({"memory bytes", EnvString(run, "memory.total_bytes")});
  env.Add({"governor", EnvString(run, "governor.summary")});
  env.Add({"turbo", EnvString(run, "turbo.enabled")});
  env.Add({"SMT", EnvString(run, "smt.active")});
  env.Add({"virtual machine", EnvString(run, "virtualization.is_vm")});
  env.Add({"kernel", EnvString(run, "kernel.release")});
  env.Add({"distro", EnvString(run, "distro")});
  env.Add({"compiler", EnvString(run, "compiler.id") + " " + EnvString(run, "compiler.version") +
                           " (" + EnvString(run, "compiler.build_type") + ", assertions " +
                           EnvString(run, "compiler.assertions") + ")"});
  env.Add({"storage",
           EnvString(run, "storage.filesystem") + " on " + EnvString(run, "storage.device")});
  env.Add({"perf counters",
           EnvString(run, "perf.available") +
               (EnvString(run, "perf.reason") == "unknown" || EnvString(run, "perf.reason").empty()
                    ? std::string()
                    : " (" + EnvString(run, "perf.reason") + ")")});
  md += env.Render() + "\nFull details: [environment.md](environment.md).\n\n";

  md += "## Warnings\n\n";
  std::vector<std::string> warnings = facts.warnings;
  if (!facts.valid_as_baseline) {
    warnings.push_back("not valid as a baseline: " + Join(facts.validity_reasons, "; "));
  }
  if (!facts.reference_match) {
    warnings.push_back("not reference hardware: " + Join(facts.reference_reasons, "; "));
  }
  for (const auto& n : notes) warnings.push_back(n);
  if (warnings.empty()) md += "_(none)_\n";
  for (const auto& w : warnings) md += "- " + w + "\n";
  md +=
      "\n## Reports\n\n- [gates.md](gates.md)\n- [environment.md](environment.md)\n"
      "- [facade_tax.md](facade_tax.md)\n- [ab_engines.md](ab_engines.md)\n"
      "- [redis_comparison.md](redis_comparison.md)\n- plots/: scaling.svg, "
      "latency_percentiles.svg, engines_ab.svg\n";
  return md;
}

namespace {

void Flatten(const json::value& v, const std::string& prefix, Table* t) {
  if (v.is_object() && !v.get_object().empty()) {
    for (const auto& kv : v.get_object()) {
      Flatten(kv.value(),
              prefix.empty() ? std::string(kv.key()) : prefix + "." + std::string(kv.key()), t);
    }
    return;
  }
  std::string value;
  if (v.is_null()) {
    value = "unknown (null)";
  } else if (v.is_string()) {
    value = std::string(v.get_string());
  } else if (v.is_array()) {
    bool strings = true;
    for (const auto& e : v.get_array()) strings = strings && e.is_string();
    if (strings) {
      std::vector<std::string> xs = util::AsStringList(&v);
      value = xs.empty() ? "(none)" : Join(xs, "; ");
    } else {
      value = "`" + json::serialize(v) + "`";
    }
  } else {
    value = json::serialize(v);
  }
  t->Add({"`" + prefix + "`", value});
}

}  // namespace

std::string RenderEnvironment(const Baseline& run) {
  std::string md = Header("Environment", run);
  md +=
      "Captured by the bench binary before the first benchmark. `unknown (null)` means the value "
      "could not be read on this machine; it is not false or zero.\n\n";
  md += "## Run\n\n";
  Table t({"field", "value"});
  const json::value doc = harness::ToJson(run);
  Flatten(doc.at("git"), "git", &t);
  Flatten(doc.at("config"), "config", &t);
  md += t.Render() + "\n## Machine\n\n";
  Table e({"field", "value"});
  Flatten(json::value(run.environment), "", &e);
  md += e.Render();
  return md;
}

std::string RenderFacadeTax(const Baseline& run) {
  std::string md = Header("Facade tax", run);
  md +=
      "Ratios of median ns per op between tiers for the same engine: A0 is the raw data "
      "structure (no transactions), A1 the engine fast path, B the primitive facade. A0 "
      "ignores durability (mode n/a) and pairs with every mode. Gate targets (docs/gates.md): "
      "A1/A0 < 10x (red flag > 20x), B/A1 < 5x (red flag > 8x), B/A0 < 30x. The A1/A0 and "
      "B/A0 targets apply to InMemory mode; in durable modes the A1 and B writes include the "
      "WAL.\n\n";
  struct Pair {
    std::string label, a0_op, a1_op, b_group, b_op;
  };
  const std::vector<Pair> pairs = {
      {"get (A0 get_hot)", "get_hot", "get_direct", "kv", "get"},
      {"get (A0 get_uniform)", "get_uniform", "get_direct", "kv", "get"},
      {"put", "put_prealloc", "put_direct", "kv", "put"}};
  Table t({"op", "engine", "mode", "A0 ns", "A1 ns", "B ns", "A1/A0", "B/A1", "B/A0"});
  CellFormatter cells;
  for (const auto& p : pairs) {
    for (const auto& e : EnginesOf(run)) {
      if (IsPeer(run, e)) continue;  // a peer has no layers of ours to tax
      const BenchmarkResult* a0_cell = FindCell(run, "A0", "raw", p.a0_op, e, "");
      const auto a0 = MedianOf(a0_cell);
      for (const auto& m : ModesOf(run)) {
        const BenchmarkResult* a1_cell = FindCell(run, "A1", "engine", p.a1_op, e, m);
        const BenchmarkResult* b_cell = FindCell(run, "B", p.b_group, p.b_op, e, m);
        const auto a1 = MedianOf(a1_cell);
        const auto b = MedianOf(b_cell);
        if (!a1 && !b) continue;
        t.Add({p.label, e, m, cells.MedianNs(a0_cell), cells.MedianNs(a1_cell),
               cells.MedianNs(b_cell), OptRatio(a1, a0), OptRatio(b, a1), OptRatio(b, a0)});
      }
    }
  }
  md +=
      "## Per op, engine and mode\n\nEach cell: median ns (min–max of the repetitions, cv, "
      "number of repetitions).\n\n" +
      t.Render() + "\n" + cells.Render();
  md +=
      "Pairs: get = A0 raw/get_hot or raw/get_uniform vs A1 engine/get_direct vs B kv/get; "
      "put = A0 raw/put_prealloc vs A1 engine/put_direct vs B kv/put. The gates use "
      "get_uniform (same key distribution as the upper tiers).\n\n";

  // Cross-check the harness's own derived.facade_tax: both are computed from the same medians.
  md += "## derived.facade_tax in baseline.json\n\n";
  if (run.derived.facade_tax.empty()) {
    md += "_(none recorded)_\n";
    return md;
  }
  Table d({"kind", "op", "engine", "mode", "numerator", "denominator", "ratio", "check"});
  for (const harness::FacadeTax& f : run.derived.facade_tax) {
    std::string check = "inputs not in this file";
    const auto a = MedianOf(gates::FindBenchmark(run, f.numerator));
    const auto b = MedianOf(gates::FindBenchmark(run, f.denominator));
    if (a && b && *b > 0) {
      const double mine = *a / *b;
      check = std::fabs(mine - f.ratio) <= 1e-3 * std::fabs(mine)
                  ? "agrees"
                  : "DIFFERS: medians give " + FormatNumber(mine);
    }
    d.Add({f.kind, f.op, f.engine, f.mode, "`" + f.numerator + "`", "`" + f.denominator + "`",
           FormatNumber(f.ratio) + "x", check});
  }
  md += d.Render();
  return md;
}

std::string RenderAbEngines(const Baseline& run) {
  std::string md = Header("Engines side by side", run);
  const std::vector<std::string> engines = EnginesOf(run);
  const std::string ref = std::find(engines.begin(), engines.end(), "btree") != engines.end()
                              ? "btree"
                              : (engines.empty() ? "" : engines.front());
  md +=
      "Median ns per op for each engine in the same cell (tier, group, op, mode, threads, "
      "params), with the min–max and cv of its repetitions and their number. Ratio = engine / " +
      ref + " (< 1 = faster than " + ref +
      "). p = two-sided "
      "Mann-Whitney U over the repetitions' ns_per_op against " +
      ref + "; `*` marks p < 0.05.\n\n";
  std::vector<std::string> peers;
  for (const auto& e : engines) {
    if (IsPeer(run, e)) peers.push_back(e);
  }
  if (!peers.empty()) {
    md += "Peers (`kind: \"peer\"`, marked (peer)): " + Join(peers, ", ") +
          ". They run the cells they support with the same bodies, keys, values and "
          "distributions as our engines, in the setting that matches each mode; `—` is a cell an "
          "engine did not run. How each is configured and where a comparison is not fair: "
          "docs/peers.md.\n\n";
  }
  CellFormatter fmt;
  // Group benchmarks by cell, keep the order of first appearance.
  std::vector<std::string> order;
  std::map<std::string, std::map<std::string, const BenchmarkResult*>> cells;
  for (const auto& b : run.benchmarks) {
    const std::string key = gates::CellKey(b);
    if (!cells.count(key)) order.push_back(key);
    cells[key].emplace(b.engine, &b);
  }
  std::map<std::string, std::vector<std::string>> by_tier;
  std::vector<std::string> tiers;
  for (const auto& key : order) {
    const BenchmarkResult* any = cells[key].begin()->second;
    if (!by_tier.count(any->tier)) tiers.push_back(any->tier);
    by_tier[any->tier].push_back(key);
  }
  for (const auto& tier : tiers) {
    std::vector<std::string> header = {"group/op", "mode", "threads", "params"};
    for (const auto& e : engines) {
      header.push_back(e + (IsPeer(run, e) ? " (peer)" : "") + " ns");
      if (e != ref) {
        std::string ratio = e + "/";
        ratio += ref;
        header.push_back(std::move(ratio));
        header.emplace_back("p");
      }
    }
    Table t(header);
    for (const auto& key : by_tier[tier]) {
      const auto& row_cells = cells[key];
      const BenchmarkResult* any = row_cells.begin()->second;
      const BenchmarkResult* base = row_cells.count(ref) ? row_cells.at(ref) : nullptr;
      std::vector<std::string> row = {any->group + "/" + any->op, any->mode,
                                      std::to_string(any->threads),
                                      any->params.empty() ? "—" : harness::ParamsText(any->params)};
      for (const auto& e : engines) {
        const BenchmarkResult* b = row_cells.count(e) ? row_cells.at(e) : nullptr;
        row.push_back(fmt.MedianNs(b));
        if (e == ref) continue;
        row.push_back(OptRatio(MedianOf(b), MedianOf(base)));
        if (b != nullptr && base != nullptr) {
          const auto mw = util::MannWhitneyU(gates::NsPerOp(*base), gates::NsPerOp(*b));
          row.push_back(util::FormatP(mw.p_value) + (mw.p_value < 0.05 ? " *" : ""));
        } else {
          row.emplace_back("—");
        }
      }
      t.Add(std::move(row));
    }
    md += "## Tier " + tier + "\n\n" + t.Render() + "\n";
  }

  // Approximate search is only comparable with its recall next to it.
  Table recall({"engine", "mode", "params", "median ns", "recall@10"});
  for (const auto& b : run.benchmarks) {
    const auto it = b.extra.find("recall_at_10");
    if (it == b.extra.end()) continue;
    recall.Add({b.engine, b.mode, b.params.empty() ? "—" : harness::ParamsText(b.params),
                fmt.MedianNs(&b), FormatNumber(it->second)});
  }
  if (!recall.empty()) {
    md +=
        "## Vector search recall@10\n\nAgainst the exact cosine ranking, over 64 queries, ties "
        "counted as hits (docs/peers.md). Our VectorStore's search is exact (recall 1).\n\n" +
        recall.Render() + "\n";
  }

  md +=
      "## Scaling (tier D, throughput = median ops/s over all threads, with the min–max and cv "
      "of the repetitions' throughput)\n\n";
  Table s({"engine", "mode", "group/op", "params", "threads", "ops/s", "speedup vs 1 thread",
           "efficiency"});
  std::map<std::string, std::map<int64_t, const BenchmarkResult*>> series;
  for (const auto& b : run.benchmarks) {
    if (b.tier != "D") continue;
    series[b.engine + "|" + b.mode + "|" + b.group + "/" + b.op + "|" +
           harness::ParamsText(b.params)][b.threads] = &b;
  }
  for (const auto& [key, points] : series) {
    double one = 0;  // 1-thread throughput; 0 = not measured
    if (points.count(1)) one = gates::MetricValue(*points.at(1), "ops_per_sec").value_or(0);
    for (const auto& [threads, b] : points) {
      const auto ops = gates::MetricValue(*b, "ops_per_sec");
      std::string speedup = "—", eff = "—";
      if (ops && one > 0) {
        speedup = FormatNumber(*ops / one) + "x";
        eff = FormatNumber(*ops / one / static_cast<double>(threads));
      }
      s.Add({b->engine, b->mode, b->group + "/" + b->op,
             b->params.empty() ? "—" : harness::ParamsText(b->params), std::to_string(threads),
             fmt.OpsPerSec(*b), speedup, eff});
    }
  }
  md += s.Render();

  md +=
      "\n## Growth\n\nCells measured at several sizes n (other parameters equal). Per item: the "
      "memory tier's bytes per item as measured, otherwise median ns per op / n. \"vs smallest\" "
      "is the per-item cost over the smallest size's; above " +
      FormatNumber(kSuperlinearRatio) + "x the row is flagged **superlinear**.\n\n";
  Table g({"cell", "engine", "mode", "threads", "params", "n", "median ns per op", "per item",
           "vs smallest", "growth"});
  for (const GrowthSeries& series : GrowthOf(run)) {
    for (const GrowthPoint& p : series.points) {
      const double ratio =
          series.points.front().per_item > 0 ? p.per_item / series.points.front().per_item : 0;
      g.Add({series.cell, p.b->engine, p.b->mode, std::to_string(p.b->threads),
             series.params.empty() ? "—" : series.params, FormatNumber(p.n), fmt.MedianNs(p.b),
             FormatNumber(p.per_item) + " " + series.unit, FormatNumber(ratio) + "x",
             ratio > kSuperlinearRatio ? "**superlinear**" : "—"});
    }
  }
  md += g.empty() ? "_(no cell was measured at several sizes)_\n" : g.Render();
  if (const std::string unstable = fmt.Render(); !unstable.empty()) md += "\n" + unstable;
  return md;
}

namespace {

std::string Field(const json::object& o, std::string_view key) {
  return util::AsString(util::FindPath(o, key)).value_or("?");
}
std::string NumberField(const json::object& o, std::string_view key) {
  return Opt(util::AsNumber(util::FindPath(o, key)));
}
// Counts (pipeline depth, keys) as integers.
std::string CountField(const json::object& o, std::string_view key) {
  const std::optional<double> v = util::AsNumber(util::FindPath(o, key));
  return v ? std::to_string(std::llround(*v)) : "—";
}
// Rows written before the server suite carry no "server": they are Redis's.
bool IsRedisRow(const json::object& o) {
  return util::AsString(util::FindPath(o, "server")).value_or("redis") == "redis";
}
// Rows written before --clients carry no "clients": redis-benchmark -c 1.
std::string Clients(const json::object& o) {
  return util::FindPath(o, "clients") != nullptr ? CountField(o, "clients") : "1";
}
const json::object* FindRedisRow(const std::vector<const json::object*>& rows,
                                 const json::object& like) {
  for (const json::object* r : rows) {
    if (IsRedisRow(*r) && Field(*r, "op") == Field(like, "op") &&
        Field(*r, "mode") == Field(like, "mode") && Clients(*r) == Clients(like) &&
        CountField(*r, "pipeline") == CountField(like, "pipeline")) {
      return r;
    }
  }
  return nullptr;
}

}  // namespace

std::string RenderRedis(const Baseline& run, const std::string& why_missing) {
  std::string md = Header("Redis comparison", run);
  const json::object* redis = run.servers.empty() ? nullptr : &run.servers;
  if (redis == nullptr) {
    md += "**Skipped.** " + why_missing + "\n";
    return md;
  }
  const bool available = util::AsBool(util::FindPath(*redis, "available")).value_or(true);
  if (!available) {
    md += "**Skipped.** The bench runner did not measure Redis: " +
          util::AsString(util::FindPath(*redis, "reason")).value_or("no reason given") + "\n";
    return md;
  }
  md += "Source: baseline.json `servers` (Redis " +
        util::AsString(util::FindPath(*redis, "version")).value_or("version unknown") +
        "). Redis persistence is set per durability mode: InMemory = no persistence, Buffered = "
        "appendfsync everysec, Strict = appendfsync always. Every server figure is one "
        "redis-benchmark measurement (no repetitions, so no spread) over loopback with the client "
        "count and pipeline depth shown; `multi` is one MULTI, SET, INCR, EXEC transaction per "
        "op, sent by statelab-servers' own client (redis-benchmark cannot send one). The "
        "statelab columns are medians with the min–max and cv of their repetitions.\n\n";
  const json::value* results = util::FindPath(*redis, "results");
  std::vector<const json::object*> rows;
  if (results != nullptr && results->is_array()) {
    for (const auto& v : results->get_array()) {
      if (v.is_object()) rows.push_back(&v.get_object());
    }
  }
  if (rows.empty()) {
    md += "_(no results in the redis figures)_\n";
    return md;
  }

  md +=
      "## Redis next to in-process statelab\n\n"
      "Caveat: the statelab columns are the B-tier kv get/put cells of this run: one thread "
      "calling the KV facade in-process, with no network, no protocol and no pipelining. They "
      "bound what a server over the engine could reach; they are not a like-for-like "
      "comparison with a redis-benchmark round trip (for that, see the `statelab serve` table "
      "of a `--suite server` run).\n\n";
  std::vector<std::string> header = {"op",          "mode",         "clients",     "pipeline",
                                     "redis persistence", "redis ops/s", "redis p50 ns",
                                     "redis p99 ns"};
  // Only engines with a B kv get or put cell (not the null engine, not a peer without one).
  std::vector<std::string> engines;
  for (const auto& e : EnginesOf(run)) {
    for (const auto& m : ModesOf(run)) {
      if (FindCell(run, "B", "kv", "get", e, m) != nullptr ||
          FindCell(run, "B", "kv", "put", e, m) != nullptr) {
        engines.push_back(e);
        break;
      }
    }
  }
  for (const auto& e : engines) {
    header.push_back(e + " median ns");
    header.push_back(e + " ops/s");
  }
  Table t(header);
  CellFormatter fmt;
  bool served = false;
  for (const json::object* o : rows) {
    if (!IsRedisRow(*o)) {
      served = true;
      continue;
    }
    const std::string op = Field(*o, "op");
    const std::string mode = Field(*o, "mode");
    std::vector<std::string> row = {op,
                                    mode,
                                    Clients(*o),
                                    CountField(*o, "pipeline"),
                                    Field(*o, "persistence"),
                                    NumberField(*o, "ops_per_sec"),
                                    NumberField(*o, "p50_ns"),
                                    NumberField(*o, "p99_ns")};
    // Redis GET/SET map to the B kv get/put facade; INCR, MSET and MULTI have no in-process
    // cell.
    const BenchmarkResult* b = nullptr;
    for (const auto& e : engines) {
      b = op == "get" || op == "set" ? FindCell(run, "B", "kv", op == "set" ? "put" : op, e, mode)
                                     : nullptr;
      row.push_back(fmt.MedianNs(b));
      row.push_back(b != nullptr ? Opt(gates::MetricValue(*b, "ops_per_sec")) : "—");
    }
    t.Add(std::move(row));
  }
  md += t.Render();
  if (const std::string unstable = fmt.Render(); !unstable.empty()) md += "\n" + unstable;

  if (served) {
    md +=
        "\n## statelab serve next to redis-server\n\n"
        "The same runs against both servers in this run (redis-benchmark; for `multi`, "
        "statelab-servers' MULTI/EXEC client); the ratio is statelab ops/s over Redis ops/s.\n\n";
    Table w({"op", "mode", "clients", "pipeline", "engine", "redis ops/s", "statelab ops/s",
             "ratio", "redis p50 ns", "statelab p50 ns", "redis p99 ns", "statelab p99 ns"});
    for (const json::object* o : rows) {
      if (IsRedisRow(*o)) continue;
      const json::object* r = FindRedisRow(rows, *o);
      const auto ours = util::AsNumber(util::FindPath(*o, "ops_per_sec"));
      const auto theirs = r ? util::AsNumber(util::FindPath(*r, "ops_per_sec")) : std::nullopt;
      w.Add({Field(*o, "op"), Field(*o, "mode"), Clients(*o), CountField(*o, "pipeline"),
             Field(*o, "engine"),
             Opt(theirs), Opt(ours), OptRatio(ours, theirs), r ? NumberField(*r, "p50_ns") : "—",
             NumberField(*o, "p50_ns"), r ? NumberField(*r, "p99_ns") : "—",
             NumberField(*o, "p99_ns")});
    }
    md += w.Render();
  }

  const json::value* memory = util::FindPath(*redis, "memory");
  if (memory != nullptr && memory->is_array() && !memory->get_array().empty()) {
    md +=
        "\n## Memory per key\n\n"
        "Growth of each server's resident set (and of Redis's own `used_memory`; for statelab "
        "INFO reports the RSS) while `redis-cli --pipe` loads the keys (`key:<i>`, 3-byte "
        "values) into an empty database, divided by the key count.\n\n";
    Table m({"server", "engine", "keys", "RSS before bytes", "RSS after bytes", "RSS bytes/key",
             "used_memory bytes/key"});
    for (const auto& v : memory->get_array()) {
      if (!v.is_object()) continue;
      const auto& o = v.get_object();
      const std::string engine = Field(o, "engine");
      m.Add({Field(o, "server"), engine.empty() ? "—" : engine, CountField(o, "keys"),
             CountField(o, "rss_before_bytes"), CountField(o, "rss_after_bytes"),
             NumberField(o, "rss_bytes_per_key"), NumberField(o, "used_memory_bytes_per_key")});
    }
    md += m.Render();
  }
  return md;
}

Result<ReportOutcome> WriteRunReport(const std::string& run_dir, const ReportOptions& options) {
  const fs::path dir(run_dir);
  STATELAB_ASSIGN_OR_RETURN(const gates::RunFile file,
                            gates::LoadRunFile((dir / "baseline.json").string()));
  const Baseline& run = file.baseline;

  std::optional<gates::VerdictFileSummary> verdicts;
  std::string gates_note;
  const fs::path gates_path = dir / "gates.json";
  if (!fs::exists(gates_path)) {
    gates_note = "no gates.json in the run folder (run statelab-gate " +
                 (dir / "baseline.json").string() + ")";
  } else if (Result<gates::VerdictFileSummary> loaded = gates::LoadVerdictFile(gates_path.string());
             !loaded.ok()) {
    gates_note = "gates.json unreadable: " + std::string(loaded.error().message());
  } else {
    verdicts = std::move(*loaded);
  }
  const gates::VerdictFileSummary* gv = verdicts ? &*verdicts : nullptr;

  ReportOutcome outcome;
  std::vector<std::string> notes;
  auto write = [&](const std::string& name, const std::string& text) {
    const std::string path = (dir / name).string();
    STATELAB_RETURN_IF_ERROR(util::WriteFile(path, text));
    outcome.written.push_back(path);
    return Status::OK();
  };

  // Redis and `statelab serve` figures: the `servers` section the bench runner attached.
  std::string why_missing;
  if (run.servers.empty()) {
    const bool installed =
        !FindOnPath("redis-server").empty() && !FindOnPath("redis-benchmark").empty();
    why_missing =
        "This run has no Redis figures: baseline.json has no `servers` section. " +
        std::string(installed ? "redis-server and redis-benchmark are installed here, so the "
                                "bench runner did not measure Redis for this run."
                              : "redis-server / redis-benchmark are not installed on this "
                                "machine (scripts/deps.sh --peers installs them).");
  }
  if (run.servers.empty()) notes.emplace_back("redis comparison skipped");

  ReportOptions opt = options;
  if (opt.plots) {
    std::string gnuplot = opt.gnuplot;
    if (gnuplot.empty()) {
      const char* env = std::getenv("STATELAB_GNUPLOT");
      gnuplot = FindOnPath(env != nullptr && *env != '\0' ? env : "gnuplot");
    } else {
      gnuplot = FindOnPath(gnuplot);
    }
    const PlotOutcome plots = WritePlots(run, (dir / "plots").string(), gnuplot);
    outcome.written.insert(outcome.written.end(), plots.written.begin(), plots.written.end());
    notes.insert(notes.end(), plots.notes.begin(), plots.notes.end());
  } else {
    notes.emplace_back("plots skipped: --no-plots");
  }

  STATELAB_RETURN_IF_ERROR(write("environment.md", RenderEnvironment(run)));
  STATELAB_RETURN_IF_ERROR(write("facade_tax.md", RenderFacadeTax(run)));
  STATELAB_RETURN_IF_ERROR(write("ab_engines.md", RenderAbEngines(run)));
  STATELAB_RETURN_IF_ERROR(write("redis_comparison.md", RenderRedis(run, why_missing)));
  STATELAB_RETURN_IF_ERROR(write("SUMMARY.md", RenderSummary(run, gv, gates_note, notes)));
  outcome.notes = notes;
  if (gv == nullptr) outcome.notes.push_back("gates: " + gates_note);
  return outcome;
}

}  // namespace statelab::reports
