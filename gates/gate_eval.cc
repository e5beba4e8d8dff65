#include "gates/gate_eval.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "gates/metrics.h"
#include "util/format.h"
#include "util/json.h"
#include "util/markdown.h"
#include "util/stats.h"

namespace statelab::gates {

namespace json = boost::json;
using harness::BenchmarkResult;
using util::AsBool;
using util::AsNumber;
using util::AsString;
using util::FindPath;
using util::FormatNumber;
using util::FormatP;
using util::FormatPct;
using util::FormatValue;
using util::Join;
using util::NumberOrNull;
using util::Table;

std::string_view VerdictStatusName(VerdictStatus s) {
  switch (s) {
    case VerdictStatus::kPass:
      return "pass";
    case VerdictStatus::kWarn:
      return "warn";
    case VerdictStatus::kFail:
      return "fail";
    case VerdictStatus::kSkip:
      return "skip";
  }
  return "unknown";
}

int GateReport::Count(VerdictStatus s) const {
  return static_cast<int>(std::count_if(verdicts.begin(), verdicts.end(),
                                        [&](const Verdict& v) { return v.status == s; }));
}

int GateReport::RuleCount(VerdictStatus s) const {
  return static_cast<int>(std::count_if(rules.begin(), rules.end(),
                                        [&](const RuleOutcome& r) { return r.status == s; }));
}

namespace {

bool Has(const std::vector<std::string>& xs, const std::string& x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

// Sets status, threshold, margin and the reason for one value.
void Classify(double v, const Rule& rule, Verdict* out) {
  const Thresholds& t = rule.thresholds;
  const bool max = rule.direction == Direction::kMax;
  auto good = [&](double bound) { return max ? v <= bound : v >= bound; };
  auto beyond_red = [&]() { return max ? v > t.red_flag : v < t.red_flag; };
  auto fmt = [&](double x) { return FormatValue(x, rule.unit); };
  const std::string cmp_good = max ? "<=" : ">=";
  const std::string cmp_bad = max ? ">" : "<";

  out->actual = v;
  out->unit = rule.unit;
  double bound = t.target;
  if (good(t.target)) {
    out->status = VerdictStatus::kPass;
    out->threshold_name = "target";
    out->reason = fmt(v) + " " + cmp_good + " target " + fmt(t.target);
  } else if (beyond_red()) {
    out->status = VerdictStatus::kFail;
    out->threshold_name = "red_flag";
    bound = t.red_flag;
    out->reason =
        fmt(v) + " " + cmp_bad + " red flag " + fmt(t.red_flag) + " (target " + fmt(t.target) + ")";
  } else {
    out->status = VerdictStatus::kWarn;
    out->threshold_name = "target";
    out->reason = fmt(v) + " misses target " + fmt(t.target);
    if (t.acceptable) {
      out->reason += good(*t.acceptable) ? "; within acceptable " + fmt(*t.acceptable)
                                         : "; beyond acceptable " + fmt(*t.acceptable);
    }
    out->reason += "; red flag at " + cmp_bad + " " + fmt(t.red_flag);
  }
  out->threshold = bound;
  out->margin = max ? bound - v : v - bound;
  if (bound != 0) out->margin_pct = *out->margin / std::fabs(bound) * 100.0;
}

class Evaluator {
 public:
  Evaluator(const RunFile& run, const RunFile* prev, const GateOptions& opt, GateReport* report)
      : run_(run.baseline),
        run_engines_(EnginesOf(run_)),
        facts_(ReadEnvironmentFacts(run_.environment)),
        run_metric_(RunMetric(run_)),
        prev_(prev),
        opt_(opt),
        report_(report) {}

  void Run(const Rule& rule) {
    const std::size_t first = report_->verdicts.size();
    outcome_ = RuleOutcome{};
    outcome_.suite = rule.suite;
    outcome_.demanded = Demanded(rule);
    present_ = 0;
    EvaluateRule(rule);
    if (outcome_.demanded && present_ > 0 && !Decided(first)) {
      // Every present cell lacked the metric (or was too fast to time): in CI mode a demanded
      // rule that checked nothing fails rather than passing by measuring nothing.
      Verdict v = Base(rule, "(all)", "", "");
      v.status = VerdictStatus::kFail;
      v.missing = true;
      v.reason = "checked nothing (CI mode): none of the " + std::to_string(present_) +
                 " benchmarks it read gave a value; first: " + report_->verdicts[first].reason;
      report_->verdicts.push_back(std::move(v));
    }
    RuleOutcome ro = std::move(outcome_);
    ro.id = rule.id;
    ro.family = rule.family;
    ro.description = rule.description;
    ro.reference_only = rule.reference_only;
    for (std::size_t i = first; i < report_->verdicts.size(); ++i) {
      Verdict& v = report_->verdicts[i];
      Soften(rule, &v);
      switch (v.status) {
        case VerdictStatus::kPass:
          ++ro.pass;
          break;
        case VerdictStatus::kWarn:
          ++ro.warn;
          break;
        case VerdictStatus::kFail:
          ++ro.fail;
          break;
        case VerdictStatus::kSkip:
          ++ro.skip;
          break;
      }
    }
    ro.status = ro.fail   ? VerdictStatus::kFail
                : ro.warn ? VerdictStatus::kWarn
                : ro.pass ? VerdictStatus::kPass
                          : VerdictStatus::kSkip;
    report_->rules.push_back(std::move(ro));
  }

  // A run without benchmarks measured nothing: it fails in CI mode and warns otherwise (a
  // built-in check, listed as rule "run.measured" only when it fires).
  void CheckRunMeasured() {
    if (!run_.benchmarks.empty()) return;
    RuleOutcome ro;
    ro.id = "run.measured";
    ro.family = "run";
    ro.description = "The baseline contains at least one benchmark";
    ro.demanded = opt_.ci;
    Verdict v;
    v.id = ro.id;
    v.subject = "(run)";
    v.missing = true;
    v.status = opt_.ci ? VerdictStatus::kFail : VerdictStatus::kWarn;
    v.reason =
        "the baseline has no benchmarks (benchmarks: []): nothing was measured, so no rule "
        "can check anything";
    ro.status = v.status;
    (opt_.ci ? ro.fail : ro.warn) = 1;
    report_->verdicts.push_back(std::move(v));
    report_->rules.push_back(std::move(ro));
  }

 private:
  // CI mode demands the rule's cells when the run's suite covers the rule's suite; a custom
  // selection (--filter, --tier) is held to the quick suite's rules.
  bool Demanded(const Rule& rule) const {
    if (!opt_.ci || rule.run_metric != run_metric_) return false;
    return SuiteRank(rule.suite).value_or(0) <= SuiteRank(run_.config.suite).value_or(0);
  }

  bool Decided(std::size_t first) const {
    for (std::size_t i = first; i < report_->verdicts.size(); ++i) {
      if (report_->verdicts[i].status != VerdictStatus::kSkip) return true;
    }
    return false;
  }

  // The first cell of the run's skipped[] for this engine and mode ("" = any) that `sel` matches
  // (but for `has`: a skipped cell has no metrics).
  const SkippedCell* FindSkipped(const std::string& engine, const std::string& mode,
                                 const Selector& sel) const {
    if (opt_.skipped.empty()) return nullptr;
    Selector identity = sel;
    identity.has.clear();
    for (const auto& s : opt_.skipped) {
      if (!engine.empty() && s.cell.engine != engine) continue;
      if (!mode.empty() && s.cell.mode != mode && s.cell.mode != "n/a") continue;
      if (identity.Matches(s.cell)) return &s;
    }
    return nullptr;
  }

  // An expected cell without a benchmark: fails in CI mode when the rule is demanded, else a
  // visible "missing" skip. `why` says what was looked for.
  void MarkMissing(const std::string& cell, const std::string& why, const SkippedCell* failed,
                   Verdict* v) {
    outcome_.missing_cells.push_back(cell);
    v->missing = true;
    std::string reason = why;
    if (failed != nullptr) {
      reason += " (" + failed->cell.name + " failed while running: " + failed->reason + ")";
    }
    if (outcome_.demanded) {
      v->status = VerdictStatus::kFail;
      v->reason = "missing expected cell " + cell + " (CI mode): " + reason;
    } else {
      v->status = VerdictStatus::kSkip;
      v->reason = "missing: " + reason;
    }
  }

  // Why a metric of `b` is null, for a skip reason.
  static std::string NullMetric(const BenchmarkResult& b, const std::string& metric) {
    std::string out = "metric " + metric + " is null or absent in " + b.name;
    if (std::string why = MetricNullReason(b, metric); !why.empty()) out += ": " + why;
    return out;
  }

  Verdict Base(const Rule& rule, std::string subject, std::string engine, std::string mode) {
    Verdict v;
    v.id = rule.id;
    v.subject = std::move(subject);
    v.engine = std::move(engine);
    v.mode = std::move(mode);
    v.unit = rule.unit;
    return v;
  }

  void Skip(const Rule& rule, std::string subject, std::string engine, std::string mode,
            std::string reason) {
    Verdict v = Base(rule, std::move(subject), std::move(engine), std::move(mode));
    v.status = VerdictStatus::kSkip;
    v.reason = std::move(reason);
    report_->verdicts.push_back(std::move(v));
  }

  bool EngineInScope(const Rule& rule, const std::string& engine) const {
    return rule.all_engines ? Has(run_engines_, engine) : Has(rule.engines, engine);
  }

  void EvaluateRule(const Rule& rule) {
    if (rule.run_metric != run_metric_) {
      Skip(rule, "(all)", "", "",
           "a rule for runs measured with --metric " + rule.run_metric + "; this run: " +
               run_metric_);
      return;
    }
    const int64_t cores = UsableCores(run_);
    if (cores < rule.min_cores) {
      Skip(rule, "(all)", "", "",
           "too few cores: this run had " + std::to_string(cores) +
               " usable cores (config.cores=" + std::to_string(run_.config.cores) +
               (facts_.physical_cores ? ", physical cores=" + std::to_string(*facts_.physical_cores)
                                      : std::string()) +
               "); the rule needs " + std::to_string(rule.min_cores));
      return;
    }
    if (rule.kind == RuleKind::kRegression && prev_ == nullptr) {
      Skip(rule, "(all)", "", "", "no previous baseline given (--previous)");
      return;
    }
    std::vector<std::string> engines;
    for (const auto& e : rule.all_engines ? run_engines_ : rule.engines) {
      if (run_.config.engines.empty() || Has(run_.config.engines, e)) engines.push_back(e);
    }
    if (engines.empty()) {
      Skip(rule, "(all)", "", "",
           "no engine in the rule's scope was run (config.engines: " +
               Join(run_.config.engines, ", ") + ")");
      return;
    }
    std::vector<std::string> modes;  // "" = any mode
    if (rule.all_modes) {
      modes.emplace_back();
    } else {
      for (const auto& m : rule.modes) {
        if (m == "n/a" || run_.config.modes.empty() || Has(run_.config.modes, m)) {
          modes.push_back(m);
        }
      }
      if (modes.empty()) {
        Skip(rule, "(all)", "", "",
             "mode(s) " + Join(rule.modes, ", ") +
                 " not run (config.modes: " + Join(run_.config.modes, ", ") + ")");
        return;
      }
    }
    const Selector& sel = rule.Primary();
    for (const auto& e : engines) {
      for (const auto& m : modes) {
        const std::string cell =
            e + "/" + (m.empty() ? std::string("any mode") : m) + ": " + sel.Describe();
        outcome_.expected_cells.push_back(cell);
        bool any = false;
        for (const auto& b : run_.benchmarks) {
          if (b.engine != e || (!m.empty() && b.mode != m) || !sel.Matches(b)) continue;
          any = true;
          ++present_;
          EvaluateOne(rule, b);
        }
        if (!any) Absent(rule, e, m, sel, cell);
      }
    }
  }

  void Absent(const Rule& rule, const std::string& e, const std::string& m, const Selector& sel,
              const std::string& cell) {
    std::string subject = e;
    if (!m.empty()) subject.append("/").append(m);
    const SkippedCell* skipped = FindSkipped(e, m, sel);
    if (skipped != nullptr && !skipped->failed) {
      Skip(rule, subject, e, m,
           "not measured: the bench skipped " + skipped->cell.name + ": " + skipped->reason);
      return;
    }
    Verdict v = Base(rule, subject, e, m);
    MarkMissing(cell,
                "benchmark absent: no benchmark with engine=" + e +
                    (m.empty() ? std::string() : " mode=" + m) + " and " + sel.Describe() +
                    " in this run",
                skipped, &v);
    report_->verdicts.push_back(std::move(v));
  }

  void EvaluateOne(const Rule& rule, const BenchmarkResult& b) {
    Verdict v = Base(rule, b.name, b.engine, b.mode);
    v.inputs.push_back(b.name);
    switch (rule.kind) {
      case RuleKind::kThreshold: {
        const auto x = MetricValue(b, rule.metric);
        if (!x) {
          v.reason = NullMetric(b, rule.metric);
          break;
        }
        Classify(*x, rule, &v);
        break;
      }
      case RuleKind::kMetricRatio: {
        const auto num = MetricValue(b, rule.metric);
        const auto den = MetricValue(b, rule.denominator_metric);
        if (!num || !den) {
          v.reason = NullMetric(b, !num ? rule.metric : rule.denominator_metric);
          break;
        }
        if (*den <= 0) {
          v.reason = "metric " + rule.denominator_metric + " is " + FormatNumber(*den) + " in " +
                     b.name + "; the ratio is undefined";
          break;
        }
        if (const auto timer = MetricValue(b, "latency.timer_overhead_ns");
            rule.min_timer_multiple > 0 && timer && *den < rule.min_timer_multiple * *timer) {
          Skip(rule, b.name, b.engine, b.mode,
               rule.denominator_metric + " " + FormatNumber(*den) + " is below " +
                   FormatNumber(rule.min_timer_multiple) + "x the timer overhead (" +
                   FormatNumber(*timer) + " ns): per-operation percentiles measure the timer");
          return;
        }
        Classify(*num / *den, rule, &v);
        v.reason = rule.metric + "/" + rule.denominator_metric + " = " + FormatNumber(*num) + "/" +
                   FormatNumber(*den) + ": " + v.reason;
        break;
      }
      case RuleKind::kRatio:
        EvaluateRatio(rule, b, &v);
        break;
      case RuleKind::kRegression:
        EvaluateRegression(rule, b, &v);
        break;
    }
    report_->verdicts.push_back(std::move(v));
  }

  void EvaluateRatio(const Rule& rule, const BenchmarkResult& num, Verdict* v) {
    const BenchmarkResult* den = nullptr;
    int candidates = 0;
    for (const auto& d : run_.benchmarks) {
      if (&d == &num || !rule.denominator.select.Matches(d)) continue;
      bool ok = true;
      for (const auto& k : rule.join_on) {
        if (k == "engine") ok = ok && d.engine == num.engine;
        // A benchmark that ignores durability ("n/a") pairs with every mode.
        if (k == "mode") ok = ok && (d.mode == num.mode || d.mode == "n/a" || num.mode == "n/a");
        if (k == "params") ok = ok && d.params == num.params;
        if (k == "op") ok = ok && d.op == num.op;
        if (k == "group") ok = ok && d.group == num.group;
      }
      if (!ok) continue;
      ++candidates;
      if (den == nullptr) den = &d;
    }
    if (den == nullptr) {
      // A denominator on engines this run did not select (a peer, without --engines all) is
      // not measured by choice, not missing.
      const std::vector<std::string>& wanted = rule.denominator.select.engines;
      if (!wanted.empty() && !run_.config.engines.empty() &&
          std::none_of(wanted.begin(), wanted.end(),
                       [&](const std::string& e) { return Has(run_.config.engines, e); })) {
        v->reason = "denominator not measured: " + Join(wanted, ", ") +
                    " not selected in this run (statelab-bench --engines all runs the peers)";
        --present_;
        return;
      }
      const bool by_engine = Has(rule.join_on, "engine");
      const bool by_mode = Has(rule.join_on, "mode");
      const SkippedCell* skipped = FindSkipped(by_engine ? num.engine : "", by_mode ? num.mode : "",
                                               rule.denominator.select);
      if (skipped != nullptr && !skipped->failed) {
        v->reason = "denominator not measured: the bench skipped " + skipped->cell.name + ": " +
                    skipped->reason;
        --present_;  // a pair the bench cannot measure did not fail to give a value
        return;
      }
      MarkMissing("denominator of " + num.name + ": " + rule.denominator.select.Describe(),
                  "denominator absent: no benchmark matching " +
                      rule.denominator.select.Describe() + " joined on " +
                      (rule.join_on.empty() ? std::string("nothing") : Join(rule.join_on, ", ")) +
                      " with " + num.name,
                  skipped, v);
      return;
    }
    v->subject = num.name + " / " + den->name;
    v->inputs.push_back(den->name);
    const auto a = MetricValue(num, rule.numerator.metric);
    const auto b = MetricValue(*den, rule.denominator.metric);
    if (!a || !b) {
      v->reason =
          !a ? NullMetric(num, rule.numerator.metric) : NullMetric(*den, rule.denominator.metric);
      return;
    }
    if (*b <= 0) {
      v->reason = "denominator " + den->name + " has " + rule.denominator.metric + " = " +
                  FormatNumber(*b) + "; the ratio is undefined";
      return;
    }
    Classify(*a / *b, rule, v);
    v->reason = FormatNumber(*a) + " / " + FormatNumber(*b) + " = " + v->reason;
    if (candidates > 1) {
      v->reason += " (" + std::to_string(candidates) + " denominators matched; used the first)";
    }
  }

  void EvaluateRegression(const Rule& rule, const BenchmarkResult& now, Verdict* v) {
    const BenchmarkResult* old = FindBenchmark(prev_->baseline, now.name);
    if (old == nullptr) {
      v->reason = "new benchmark: not in the previous baseline " + prev_->baseline.run_id;
      return;
    }
    v->inputs.push_back(prev_->path + ":" + old->name);
    const auto a = MetricValue(now, rule.metric);
    const auto b = MetricValue(*old, rule.metric);
    if (!a || !b || *b <= 0) {
      v->reason = "metric " + rule.metric + " is null, absent or zero in one of the runs";
      return;
    }
    const double ratio = *a / *b;
    Classify(ratio, rule, v);
    if (rule.metric == "counters.instructions_per_op") {
      // A count, not a sample: the same binary on the same input counts the same, so the ratio
      // alone decides (docs/compare.md, "Instruction counts").
      v->reason = rule.metric + " " + FormatNumber(*a) + " now vs " + FormatNumber(*b) +
                  " before: " + v->reason + " (a deterministic count: no significance test)";
      CrossMachine(v);
      return;
    }
    // Significance over the repetitions of the same quantity the rule reads.
    const bool throughput = rule.metric == "ops_per_sec";
    const auto xs = throughput ? OpsPerSec(*old) : NsPerOp(*old);
    const auto ys = throughput ? OpsPerSec(now) : NsPerOp(now);
    const util::MannWhitneyResult mw = util::MannWhitneyU(xs, ys);
    v->p_value = mw.p_value;
    v->reason = rule.metric + " " + FormatNumber(*a) + " now vs " + FormatNumber(*b) +
                " before: " + v->reason + ", Mann-Whitney p=" + FormatP(mw.p_value) +
                " (n=" + std::to_string(xs.size()) + "/" + std::to_string(ys.size()) + ")";
    if (v->status == VerdictStatus::kFail) {
      const bool testable =
          util::MinTwoSidedP(static_cast<int>(xs.size()), static_cast<int>(ys.size())) < rule.alpha;
      if (testable && mw.p_value >= rule.alpha) {
        v->status = VerdictStatus::kWarn;
        v->reason +=
            "; not significant at alpha=" + FormatNumber(rule.alpha) + ", so not a failure";
      } else if (!testable) {
        v->reason += "; too few repetitions for a significance test, judged on the ratio alone";
      }
    }
    CrossMachine(v);
  }

  // Against a baseline from another machine a regression verdict is advisory unless
  // --allow-cross-machine: it warns and says why.
  void CrossMachine(Verdict* v) const {
    if (report_->cross_machine && !opt_.allow_cross_machine && v->status != VerdictStatus::kSkip) {
      v->advisory = true;
      if (v->status == VerdictStatus::kFail) {
        v->status = VerdictStatus::kWarn;
        v->reason = "advisory (previous baseline from a different machine: " +
                    report_->cross_machine_reason +
                    "; pass --allow-cross-machine to enforce): " + "would fail: " + v->reason;
      } else {
        v->reason += " [advisory: previous baseline from a different machine]";
      }
    }
  }

  // Reference-only rules are advisory on other hardware: they warn instead of failing and say so.
  void Soften(const Rule& rule, Verdict* v) const {
    // A missing cell is not a matter of hardware: it is never advisory.
    if (!rule.reference_only || facts_.reference_match || v->status == VerdictStatus::kSkip ||
        v->missing) {
      return;
    }
    v->advisory = true;
    const std::string why = facts_.reference_reasons.empty()
                                ? std::string("not reference hardware")
                                : "not reference hardware: " + Join(facts_.reference_reasons, "; ");
    if (v->status == VerdictStatus::kFail) {
      v->status = VerdictStatus::kWarn;
      v->reason = "advisory (" + why + "): would fail: " + v->reason;
    } else {
      v->reason += " [advisory: not reference hardware]";
    }
  }

  // "*" in a rule's engines: every engine of ours the run had (config.engine_kinds, or for older
  // files the benchmarks' kind), without the virtual-wrapper variants ("sharded+any", the facade
  // rules' business), peers or the harness's own floors. So a new engine is gated by joining
  // AllEngines, with no list here to update.
  static std::vector<std::string> EnginesOf(const harness::Baseline& run) {
    std::map<std::string, std::string> kinds = run.config.engine_kinds;
    for (const auto& b : run.benchmarks) kinds.emplace(b.engine, b.kind);
    std::set<std::string> names;
    for (const auto& e : run.config.engines) kinds.emplace(e, std::string(harness::kKindEngine));
    for (const auto& [label, kind] : kinds) {
      if (kind == harness::kKindEngine && label.find('+') == std::string::npos) names.insert(label);
    }
    return {names.begin(), names.end()};
  }

  const harness::Baseline& run_;
  const std::vector<std::string> run_engines_;
  const EnvironmentFacts facts_;
  const std::string run_metric_;  // "time" or "instructions" (RunMetric)
  const RunFile* prev_;
  GateOptions opt_;
  GateReport* report_;
  RuleOutcome outcome_;      // of the rule being evaluated
  std::size_t present_ = 0;  // benchmarks the rule being evaluated read
};

}  // namespace

GateReport EvaluateGates(const RuleSet& rules, const RunFile& run, const RunFile* previous,
                         const GateOptions& options) {
  const EnvironmentFacts facts = ReadEnvironmentFacts(run.baseline.environment);
  GateReport report;
  report.baseline_path = run.path;
  report.rules_path = rules.path;
  report.run_id = run.baseline.run_id;
  report.reference_match = facts.reference_match;
  report.reference_reasons = facts.reference_reasons;
  report.valid_as_baseline = facts.valid_as_baseline;
  report.validity_reasons = facts.validity_reasons;
  report.usable_cores = UsableCores(run.baseline);
  report.ci = options.ci;
  report.suite = run.baseline.config.suite;
  if (previous != nullptr) {
    report.previous_path = previous->path;
    report.previous_run_id = previous->baseline.run_id;
    report.previous_valid_as_baseline =
        ReadEnvironmentFacts(previous->baseline.environment).valid_as_baseline;
    report.cross_machine =
        DifferentMachines(previous->baseline, run.baseline, &report.cross_machine_reason);
  }
  Evaluator ev(run, previous, options, &report);
  ev.CheckRunMeasured();
  for (const auto& r : rules.rules) ev.Run(r);
  return report;
}

namespace {

json::array Strings(const std::vector<std::string>& xs) {
  json::array a;
  for (const auto& x : xs) a.emplace_back(x);
  return a;
}

}  // namespace

json::value GateReportToJson(const GateReport& r) {
  json::object o;
  o["kind"] = kVerdictFileKind;
  o["schema_version"] = "1";
  o["baseline"] = r.baseline_path;
  o["run_id"] = r.run_id;
  o["previous"] = r.previous_path.empty() ? json::value(nullptr) : json::value(r.previous_path);
  o["previous_run_id"] =
      r.previous_path.empty() ? json::value(nullptr) : json::value(r.previous_run_id);
  o["rules_file"] = r.rules_path;
  o["reference_platform"] = {{"match", r.reference_match},
                             {"reasons", Strings(r.reference_reasons)}};
  o["baseline_validity"] = {{"valid_as_baseline", r.valid_as_baseline},
                            {"reasons", Strings(r.validity_reasons)}};
  o["usable_cores"] = r.usable_cores;
  o["ci"] = r.ci;
  o["suite"] = r.suite;
  o["cross_machine"] = {{"different", r.cross_machine}, {"reason", r.cross_machine_reason}};
  o["exit_code"] = r.ExitCode();
  o["counts"] = {{"pass", r.Count(VerdictStatus::kPass)},
                 {"warn", r.Count(VerdictStatus::kWarn)},
                 {"fail", r.Count(VerdictStatus::kFail)},
                 {"skip", r.Count(VerdictStatus::kSkip)}};
  o["rule_counts"] = {{"pass", r.RuleCount(VerdictStatus::kPass)},
                      {"warn", r.RuleCount(VerdictStatus::kWarn)},
                      {"fail", r.RuleCount(VerdictStatus::kFail)},
                      {"skip", r.RuleCount(VerdictStatus::kSkip)}};
  json::array rules;
  for (const auto& ro : r.rules) {
    rules.push_back(json::object{{"id", ro.id},
                                 {"family", ro.family},
                                 {"description", ro.description},
                                 {"reference_only", ro.reference_only},
                                 {"status", VerdictStatusName(ro.status)},
                                 {"pass", ro.pass},
                                 {"warn", ro.warn},
                                 {"fail", ro.fail},
                                 {"skip", ro.skip},
                                 {"suite", ro.suite},
                                 {"demanded", ro.demanded},
                                 {"expected_cells", Strings(ro.expected_cells)},
                                 {"missing_cells", Strings(ro.missing_cells)}});
  }
  o["rules"] = std::move(rules);
  json::array verdicts;
  for (const auto& v : r.verdicts) {
    json::object vo{{"id", v.id},
                    {"subject", v.subject},
                    {"engine", v.engine},
                    {"mode", v.mode},
                    {"status", VerdictStatusName(v.status)},
                    {"actual", NumberOrNull(v.actual)},
                    {"unit", v.unit},
                    {"threshold_name", v.threshold_name},
                    {"threshold", NumberOrNull(v.threshold)},
                    {"margin", NumberOrNull(v.margin)},
                    {"margin_pct", NumberOrNull(v.margin_pct)},
                    {"advisory", v.advisory},
                    {"missing", v.missing},
                    {"reason", v.reason},
                    {"inputs", Strings(v.inputs)}};
    if (v.p_value) vo["p_value"] = *v.p_value;
    verdicts.push_back(std::move(vo));
  }
  o["verdicts"] = std::move(verdicts);
  return o;
}

namespace {

std::string Opt(const std::optional<double>& v, const std::string& unit) {
  return v ? FormatValue(*v, unit) : "n/a";
}

std::string MarginText(const Verdict& v) {
  if (!v.margin) return "n/a";
  std::string s = (*v.margin >= 0 ? "+" : "-") + FormatValue(std::fabs(*v.margin), v.unit);
  if (v.margin_pct) s += " (" + FormatPct(*v.margin_pct) + ")";
  return s;
}

void VerdictTable(const GateReport& r, VerdictStatus s, bool with_values, std::string* md) {
  Table t(with_values ? std::vector<std::string>{"rule", "subject", "actual", "threshold", "margin",
                                                 "reason"}
                      : std::vector<std::string>{"rule", "subject", "reason"});
  for (const auto& v : r.verdicts) {
    if (v.status != s) continue;
    if (with_values) {
      t.Add({v.id, v.subject, Opt(v.actual, v.unit),
             v.threshold_name + " " + Opt(v.threshold, v.unit), MarginText(v), v.reason});
    } else {
      t.Add({v.id, v.subject, v.reason});
    }
  }
  *md += t.Render() + "\n";
}

}  // namespace

std::string GateReportToMarkdown(const GateReport& r) {
  std::string md = "# Gate verdicts: " + r.run_id + "\n\n";
  const int fails = r.Count(VerdictStatus::kFail);
  md += fails > 0
            ? "**Result: FAILED** (" + std::to_string(fails) + " failing verdicts; exit code 1)\n\n"
            : "**Result: no failures** (exit code 0)\n\n";
  md += "- Baseline: `" + r.baseline_path + "`\n";
  md += "- Previous baseline: " +
        (r.previous_path.empty()
             ? std::string("none (regression rules skipped)")
             : "`" + r.previous_path + "` (" + r.previous_run_id + ")" +
                   (r.previous_valid_as_baseline ? "" : " — marked invalid as a baseline")) +
        "\n";
  md += "- Rules: `" + r.rules_path + "` (" + std::to_string(r.rules.size()) + " rules)\n";
  md += "- Reference hardware: " +
        (r.reference_match ? std::string("yes")
                           : "no (" + Join(r.reference_reasons, "; ") +
                                 "); reference-only rules are advisory: they warn instead of "
                                 "failing") +
        "\n";
  md += "- Usable cores: " + std::to_string(r.usable_cores) + "\n";
  md += "- CI mode: " +
        (r.ci ? "yes (suite " + r.suite +
                    "): missing expected cells of the rules this suite covers fail"
              : std::string("no: missing expected cells are skips")) +
        "\n";
  md += "- Valid as a baseline: " +
        (r.valid_as_baseline ? std::string("yes") : "no (" + Join(r.validity_reasons, "; ") + ")") +
        "\n";
  if (r.cross_machine) {
    md += "- **Previous baseline is from a different machine** (" + r.cross_machine_reason +
          "): regression verdicts are advisory\n";
  }
  md += "\n| | pass | warn | fail | skip |\n|---|---|---|---|---|\n";
  md += "| verdicts | " + std::to_string(r.Count(VerdictStatus::kPass)) + " | " +
        std::to_string(r.Count(VerdictStatus::kWarn)) + " | " +
        std::to_string(r.Count(VerdictStatus::kFail)) + " | " +
        std::to_string(r.Count(VerdictStatus::kSkip)) + " |\n";
  md += "| rules | " + std::to_string(r.RuleCount(VerdictStatus::kPass)) + " | " +
        std::to_string(r.RuleCount(VerdictStatus::kWarn)) + " | " +
        std::to_string(r.RuleCount(VerdictStatus::kFail)) + " | " +
        std::to_string(r.RuleCount(VerdictStatus::kSkip)) + " |\n\n";

  Table rules({"rule", "family", "status", "pass", "warn", "fail", "skip", "reference-only"});
  for (const auto& ro : r.rules) {
    rules.Add({ro.id, ro.family, std::string(VerdictStatusName(ro.status)), std::to_string(ro.pass),
               std::to_string(ro.warn), std::to_string(ro.fail), std::to_string(ro.skip),
               ro.reference_only ? "yes" : "no"});
  }
  md += "## Rules\n\n" + rules.Render() + "\n";
  Table missing({"rule", "suite", "demanded", "missing cells"});
  for (const auto& ro : r.rules) {
    if (ro.missing_cells.empty()) continue;
    missing.Add({ro.id, ro.suite, ro.demanded ? "yes" : "no", Join(ro.missing_cells, "; ")});
  }
  if (!missing.empty()) md += "## Missing expected cells\n\n" + missing.Render() + "\n";
  if (fails > 0) {
    md += "## Failures\n\n";
    VerdictTable(r, VerdictStatus::kFail, true, &md);
  }
  if (r.Count(VerdictStatus::kWarn) > 0) {
    md += "## Warnings\n\n";
    VerdictTable(r, VerdictStatus::kWarn, true, &md);
  }
  if (r.Count(VerdictStatus::kSkip) > 0) {
    md += "## Skipped\n\n";
    VerdictTable(r, VerdictStatus::kSkip, false, &md);
  }
  if (r.Count(VerdictStatus::kPass) > 0) {
    md += "## Passed\n\n";
    VerdictTable(r, VerdictStatus::kPass, true, &md);
  }
  return md;
}

Result<std::vector<SkippedCell>> LoadSkippedCells(const std::string& baseline_path) {
  STATELAB_ASSIGN_OR_RETURN(const json::value root, util::LoadJsonFile(baseline_path));
  std::vector<SkippedCell> out;
  const json::value* list = root.is_object() ? root.get_object().if_contains("skipped") : nullptr;
  if (list == nullptr || list->is_null()) return out;
  if (!list->is_array())
    return Status::InvalidArgument(baseline_path + ": skipped: expected array");
  for (std::size_t i = 0; i < list->get_array().size(); ++i) {
    const std::string where = baseline_path + ": skipped[" + std::to_string(i) + "]";
    const json::value& e = list->get_array()[i];
    if (!e.is_object()) return Status::InvalidArgument(where + ": expected object");
    const json::object& o = e.get_object();
    SkippedCell s;
    harness::BenchmarkResult& c = s.cell;
    for (const auto& [key, field] :
         {std::pair{"name", &c.name}, std::pair{"tier", &c.tier}, std::pair{"group", &c.group},
          std::pair{"op", &c.op}, std::pair{"engine", &c.engine}, std::pair{"mode", &c.mode},
          std::pair{"reason", &s.reason}}) {
      std::optional<std::string> v = AsString(FindPath(o, key));
      if (!v) return Status::InvalidArgument(where + "." + key + ": missing or not a string");
      *field = std::move(*v);
    }
    if (const json::value* t = o.if_contains("threads"); t != nullptr) {
      if (!t->is_int64()) return Status::InvalidArgument(where + ".threads: expected integer");
      c.threads = t->get_int64();
    }
    if (const json::value* p = o.if_contains("params"); p != nullptr && p->is_object()) {
      for (const auto& kv : p->get_object()) {
        if (kv.value().is_string()) {
          c.params[std::string(kv.key())] = std::string(kv.value().get_string());
        } else if (const auto n = AsNumber(&kv.value())) {
          c.params[std::string(kv.key())] = *n;
        }
      }
    }
    s.failed = AsBool(FindPath(o, "failed")).value_or(false);
    out.push_back(std::move(s));
  }
  return out;
}

Result<VerdictFileSummary> LoadVerdictFile(const std::string& path) {
  STATELAB_ASSIGN_OR_RETURN(const json::value root, util::LoadJsonFile(path));
  if (!root.is_object() || AsString(FindPath(root.get_object(), "kind")) !=
                               std::optional<std::string>(std::string(kVerdictFileKind))) {
    return Status::InvalidArgument(path + ": not a gate verdict file (missing \"kind\": \"" +
                                   std::string(kVerdictFileKind) + "\")");
  }
  const auto& o = root.get_object();
  VerdictFileSummary s;
  auto count = [&](std::string_view p) {
    return static_cast<int>(AsNumber(FindPath(o, p)).value_or(0));
  };
  s.rules_pass = count("rule_counts.pass");
  s.rules_warn = count("rule_counts.warn");
  s.rules_fail = count("rule_counts.fail");
  s.rules_skip = count("rule_counts.skip");
  s.verdicts_pass = count("counts.pass");
  s.verdicts_warn = count("counts.warn");
  s.verdicts_fail = count("counts.fail");
  s.verdicts_skip = count("counts.skip");
  s.reference_match = AsBool(FindPath(o, "reference_platform.match")).value_or(false);
  if (const json::value* vs = FindPath(o, "verdicts"); vs != nullptr && vs->is_array()) {
    for (const auto& v : vs->get_array()) {
      if (!v.is_object()) continue;
      VerdictFileSummary::Item item;
      item.id = AsString(FindPath(v.get_object(), "id")).value_or("");
      item.subject = AsString(FindPath(v.get_object(), "subject")).value_or("");
      item.status = AsString(FindPath(v.get_object(), "status")).value_or("");
      item.reason = AsString(FindPath(v.get_object(), "reason")).value_or("");
      if (item.status == "fail") s.failures.push_back(item);
      if (item.status == "warn") s.warnings.push_back(item);
    }
  }
  return s;
}

}  // namespace statelab::gates
