#include "reports/instructions.h"

#include <algorithm>
#include <map>

#include "util/cli_args.h"
#include "util/format.h"
#include "util/markdown.h"

namespace statelab::reports {

namespace json = boost::json;

namespace {

// environment.harness.<key> as text, "" when absent.
InstructionRow Row(const harness::BenchmarkResult* o, const harness::BenchmarkResult* n,
                   const InstructionOptions& opt) {
  InstructionRow row;
  row.name = n != nullptr ? n->name : o->name;
  if (o == nullptr) {
    row.verdict = Change::kNew;
    return row;
  }
  if (n == nullptr) {
    row.verdict = Change::kRemoved;
    return row;
  }
  row.old_per_op = o->counters.instructions_per_op;
  row.new_per_op = n->counters.instructions_per_op;
  if (!row.old_per_op || !row.new_per_op || *row.old_per_op <= 0) {
    row.note = !row.old_per_op || *row.old_per_op <= 0 ? "no instruction count in the old run"
                                                       : "no instruction count in the new run";
    return row;
  }
  row.change_pct = (*row.new_per_op - *row.old_per_op) / *row.old_per_op * 100;
  if (*row.change_pct > opt.threshold_pct) {
    row.verdict = Change::kRegression;
  } else if (*row.change_pct < -opt.threshold_pct) {
    row.verdict = Change::kImprovement;
  }
  return row;
}

}  // namespace

int InstructionResult::Count(Change c) const {
  return static_cast<int>(std::count_if(rows.begin(), rows.end(),
                                        [&](const InstructionRow& r) { return r.verdict == c; }));
}

int InstructionResult::Compared() const {
  return static_cast<int>(std::count_if(
      rows.begin(), rows.end(), [](const InstructionRow& r) { return r.change_pct.has_value(); }));
}

int InstructionResult::ExitCode() const {
  if (Compared() == 0) return util::kExitBadInput;
  return Count(Change::kRegression) > 0 ? util::kExitFailed : util::kExitOk;
}

InstructionResult CompareInstructions(const gates::RunFile& old_run, const gates::RunFile& new_run,
                                      const InstructionOptions& options) {
  InstructionResult r;
  r.old_path = old_run.path;
  r.new_path = new_run.path;
  r.options = options;
  const std::string old_source = gates::HarnessValue(old_run.baseline, "instructions_source");
  const std::string new_source = gates::HarnessValue(new_run.baseline, "instructions_source");
  if (old_source != new_source) {
    r.notes.push_back("the runs counted instructions differently (old: " +
                      (old_source.empty() ? std::string("not recorded") : old_source) +
                      ", new: " + (new_source.empty() ? std::string("not recorded") : new_source) +
                      "): hardware counters and callgrind do not count alike");
  }
  if (gates::HarnessValue(old_run.baseline, "instruction_ops") !=
      gates::HarnessValue(new_run.baseline, "instruction_ops")) {
    r.notes.emplace_back(
        "the runs counted over different op counts (--instruction-ops): per-op set-up costs are "
        "amortized differently");
  }
  std::map<std::string, std::pair<const harness::BenchmarkResult*, const harness::BenchmarkResult*>>
      by_name;
  for (const auto& b : old_run.baseline.benchmarks) by_name[b.name].first = &b;
  for (const auto& b : new_run.baseline.benchmarks) by_name[b.name].second = &b;
  for (const auto& [name, p] : by_name) r.rows.push_back(Row(p.first, p.second, options));
  return r;
}

std::string InstructionsToMarkdown(const InstructionResult& r) {
  std::string md = "# Compare instructions per op: " + r.old_path + " -> " + r.new_path + "\n\n";
  for (const std::string& n : r.notes) md += "> Note: " + n + "\n\n";
  md += "- Rule: instructions per op are deterministic; a regression is a change above +" +
        util::FormatNumber(r.options.threshold_pct) + "%, an improvement one below -" +
        util::FormatNumber(r.options.threshold_pct) + "% (no p-value).\n";
  md += "- Result: " + std::to_string(r.Compared()) + " cells compared; " +
        std::to_string(r.Count(Change::kRegression)) + " regressions, " +
        std::to_string(r.Count(Change::kImprovement)) + " improvements, " +
        std::to_string(r.Count(Change::kNew)) + " new, " +
        std::to_string(r.Count(Change::kRemoved)) + " removed, " +
        std::to_string(static_cast<int>(r.rows.size()) - r.Compared() - r.Count(Change::kNew) -
                       r.Count(Change::kRemoved)) +
        " without a count; exit code " + std::to_string(r.ExitCode()) + "\n\n";
  util::Table t(
      {"benchmark", "old instructions/op", "new instructions/op", "change", "verdict", "note"});
  for (const InstructionRow& row : r.rows) {
    t.Add({"`" + row.name + "`", util::FormatOpt(row.old_per_op), util::FormatOpt(row.new_per_op),
           row.change_pct ? util::FormatPct(*row.change_pct) : "—",
           std::string(ChangeName(row.verdict)), row.note});
  }
  md += t.Render();
  return md;
}

json::value InstructionsToJson(const InstructionResult& r) {
  auto opt = [](const std::optional<double>& v) { return v ? json::value(*v) : json::value(); };
  json::array rows;
  for (const InstructionRow& row : r.rows) {
    rows.emplace_back(json::object{{"name", row.name},
                                   {"old_instructions_per_op", opt(row.old_per_op)},
                                   {"new_instructions_per_op", opt(row.new_per_op)},
                                   {"change_pct", opt(row.change_pct)},
                                   {"verdict", ChangeName(row.verdict)},
                                   {"note", row.note}});
  }
  json::array notes;
  for (const std::string& n : r.notes) notes.emplace_back(n);
  return json::object{{"kind", "statelab.compare.instructions"},
                      {"schema_version", "1"},
                      {"old", r.old_path},
                      {"new", r.new_path},
                      {"threshold_pct", r.options.threshold_pct},
                      {"notes", std::move(notes)},
                      {"rows", std::move(rows)},
                      {"compared", r.Compared()},
                      {"exit_code", r.ExitCode()}};
}

}  // namespace statelab::reports
