#pragma once
// Evaluates gate rules (gates/gates.json) against one baseline.json and optionally a previous one.
// Produces one verdict per (rule, benchmark or benchmark pair), plus skip verdicts that say why a
// rule could not be checked: benchmark absent, too few cores, no previous baseline. Reference-only
// rules are advisory on non-reference hardware: a would-be failure becomes a warning that says so.

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gates/rules.h"
#include "gates/run_facts.h"
#include "util/cli_args.h"

namespace statelab::gates {

// What a gate found; named apart from statelab::Status, which is an error, not a verdict.
enum class VerdictStatus { kPass, kWarn, kFail, kSkip };
std::string_view VerdictStatusName(VerdictStatus s);  // "pass", "warn", "fail", "skip"

struct Verdict {
  std::string id;       // the rule id
  std::string subject;  // benchmark name, "numerator / denominator", or engine/mode when absent
  std::string engine;
  std::string mode;
  VerdictStatus status = VerdictStatus::kSkip;
  std::optional<double> actual;
  std::string unit;
  std::string threshold_name;  // "target" (pass, warn) or "red_flag" (fail)
  std::optional<double> threshold;
  std::optional<double> margin;      // threshold - actual for "max" rules, actual - threshold for
                                     // "min" rules: positive = on the good side
  std::optional<double> margin_pct;  // margin relative to |threshold|; absent when threshold is 0
  std::optional<double> p_value;     // regression rules
  bool advisory = false;             // reference-only rule on non-reference hardware, or a
                                     // regression against another machine's baseline
  bool missing = false;  // CI mode: an expected cell is absent or checked nothing (never advisory)
  std::string reason;
  std::vector<std::string> inputs;  // benchmark names read
};

struct RuleOutcome {
  std::string id;
  std::string family;
  std::string description;
  bool reference_only = false;
  VerdictStatus status = VerdictStatus::kSkip;  // worst of its verdicts (fail > warn > pass > skip)
  int pass = 0, warn = 0, fail = 0, skip = 0;
  std::string suite;  // the rule's suite
  // CI mode demands the expected cells (the rule's suite is within the run's).
  bool demanded = false;
  // "engine/mode: selector" per engine and mode in scope that the run asked for; missing: those
  // without a benchmark (and not skipped by the bench on purpose).
  std::vector<std::string> expected_cells;
  std::vector<std::string> missing_cells;
};

// A cell of the run's selection without a result (baseline.json skipped[]).
struct SkippedCell {
  harness::BenchmarkResult cell;  // identity only: name, tier, group, op, engine, mode, threads,
                                  // params
  std::string reason;
  bool failed = false;  // true: failed while running; false: planned (the bench cannot run it)
};
// The skipped[] of a baseline.json (none when absent). InvalidArgument naming the file and the
// entry when it is malformed; IOError when unreadable.
Result<std::vector<SkippedCell>> LoadSkippedCells(const std::string& baseline_path);

struct GateOptions {
  // Regressions against a baseline from another machine fail only when this is set; otherwise
  // they are advisory warnings.
  bool allow_cross_machine = false;
  // CI mode (statelab-gate --ci; scripts/ci_gate.sh): a rule whose suite the run covers fails
  // for every expected cell that is missing, an empty run fails, and a rule whose present cells
  // all lack its metric fails. Outside CI mode these are skips and warnings (docs/gates.md).
  bool ci = false;
  // The run's skipped[]: a cell the bench skipped on purpose is not missing, a failed one is.
  std::vector<SkippedCell> skipped;
};

struct GateReport {
  std::string baseline_path;
  std::string previous_path;  // "" when none
  std::string rules_path;
  std::string run_id;
  std::string previous_run_id;
  bool reference_match = false;
  std::vector<std::string> reference_reasons;
  bool valid_as_baseline = false;
  std::vector<std::string> validity_reasons;
  bool previous_valid_as_baseline = true;
  int64_t usable_cores = 0;
  bool ci = false;
  std::string suite;  // config.suite of the run
  bool cross_machine = false;
  std::string cross_machine_reason;
  std::vector<Verdict> verdicts;
  std::vector<RuleOutcome> rules;

  int Count(VerdictStatus s) const;  // verdicts with this status
  int RuleCount(VerdictStatus s) const;
  int ExitCode() const {
    return Count(VerdictStatus::kFail) > 0 ? util::kExitFailed : util::kExitOk;
  }
};

GateReport EvaluateGates(const RuleSet& rules, const RunFile& run, const RunFile* previous,
                         const GateOptions& options);

// The verdict file (gates.json in a run folder) and its markdown rendering (gates.md).
inline constexpr std::string_view kVerdictFileKind = "statelab.gate_verdicts";
boost::json::value GateReportToJson(const GateReport& report);
std::string GateReportToMarkdown(const GateReport& report);

// What reports and INDEX.md need from a verdict file written by GateReportToJson.
struct VerdictFileSummary {
  int rules_pass = 0, rules_warn = 0, rules_fail = 0, rules_skip = 0;
  int verdicts_pass = 0, verdicts_warn = 0, verdicts_fail = 0, verdicts_skip = 0;
  bool reference_match = false;
  struct Item {
    std::string id, subject, status, reason;
  };
  std::vector<Item> failures;  // fail verdicts
  std::vector<Item> warnings;  // warn verdicts
};
// IOError or InvalidArgument naming the file when it is unreadable or not a verdict file.
Result<VerdictFileSummary> LoadVerdictFile(const std::string& path);

}  // namespace statelab::gates
