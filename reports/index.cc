#include "reports/index.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "gates/gate_eval.h"
#include "gates/run_facts.h"
#include "util/json.h"
#include "util/markdown.h"

namespace statelab::reports {

namespace fs = std::filesystem;
using util::Join;
using util::Table;

namespace {

// "run_2024-05-01_12-00-00_<commit>[_label]" -> "2024-05-01T12:00:00Z" ("" when not that shape).
std::string DateFromFolder(const std::string& name) {
  if (name.size() < 23 || name.rfind("run_", 0) != 0) return "";
  std::string d = name.substr(4, 10), t = name.substr(15, 8);
  std::replace(t.begin(), t.end(), '-', ':');
  return d + "T" + t + "Z";
}

// A machine field as a table cell: strings as they are, numbers as integers, "—" when unknown.
std::string Cell(const boost::json::object& machine, std::string_view field) {
  const boost::json::value* v = machine.if_contains(field);
  if (v == nullptr || v->is_null()) return "—";
  if (v->is_string()) return std::string(v->get_string());
  return boost::json::serialize(*v);
}

std::vector<std::string> MachineDetails(const gates::EnvironmentFacts& f) {
  if (f.machine_fingerprint.empty()) {
    return {f.cpu_model.empty() ? "—" : f.cpu_model, "—", "—", "—", "—", "—", "—"};
  }
  const boost::json::object& m = f.machine;
  const std::string memory = Cell(m, "memory_gib");
  return {Cell(m, "cpu_model"),
          Cell(m, "cores") + " / " + Cell(m, "pus"),
          memory == "—" ? memory : memory + " GiB",
          Cell(m, "kernel_release"),
          Cell(m, "hypervisor"),
          Cell(m, "storage_model"),
          Cell(m, "governor")};
}

}  // namespace

std::vector<IndexRow> ScanRuns(const std::string& results_dir) {
  std::vector<IndexRow> rows;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(results_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory() || name.rfind("run_", 0) != 0) continue;
    IndexRow row;
    row.folder = name;
    row.date = DateFromFolder(name);
    const fs::path baseline = entry.path() / "baseline.json";
    if (!fs::exists(baseline)) {
      row.problem = "no baseline.json";
    } else if (Result<gates::RunFile> run = gates::LoadRunFile(baseline.string()); !run.ok()) {
      row.problem = "unreadable baseline.json: " + std::string(run.error().message());
    } else {
      const harness::Baseline& b = run->baseline;
      row.date = b.created_utc;
      row.commit = b.git.commit.substr(0, 7) + (b.git.dirty.value_or(false) ? "-dirty" : "");
      row.label = gates::RunLabel(b.run_id);
      row.suite = b.config.suite;
      row.engines = Join(b.config.engines, ", ");
      const gates::EnvironmentFacts facts = gates::ReadEnvironmentFacts(b.environment);
      row.reference = facts.reference_match ? "yes" : "no";
      row.machine = gates::MachineLabel(facts);
      row.machine_details = MachineDetails(facts);
    }
    const fs::path gates_path = entry.path() / "gates.json";
    if (!fs::exists(gates_path)) {
      row.gates = "not evaluated";
    } else if (Result<gates::VerdictFileSummary> g = gates::LoadVerdictFile(gates_path.string());
               !g.ok()) {
      row.gates = "unreadable gates.json";
    } else {
      row.gates = std::to_string(g->rules_pass) + " passed / " + std::to_string(g->rules_fail) +
                  " failed (" + std::to_string(g->rules_warn) + " warn, " +
                  std::to_string(g->rules_skip) + " skip)";
    }
    rows.push_back(std::move(row));
  }
  // Newest first; ISO 8601 UTC strings sort chronologically.
  std::sort(rows.begin(), rows.end(), [](const IndexRow& a, const IndexRow& b) {
    return a.date != b.date ? a.date > b.date : a.folder > b.folder;
  });
  return rows;
}

std::string RenderIndex(const std::vector<IndexRow>& rows) {
  std::string md =
      "# Benchmark runs\n\nRegenerated from `results/run_*/baseline.json` and `gates.json` by "
      "`statelab-report --index`; newest first. Gates count rules (a rule passes when all its "
      "verdicts pass; reference-only rules only warn off reference hardware). The machine is the "
      "short fingerprint of `environment.machine` (docs/baseline_schema.md): runs of one "
      "machine compare; runs recorded before fingerprints show hostname and CPU. The last "
      "section lists each machine's runs together.\n\n";
  Table t({"date (UTC)", "run", "commit", "label", "suite", "engines", "gates passed/failed",
           "reference hardware", "machine"});
  // Machines in order of their newest run, with their run counts.
  std::vector<const IndexRow*> machines;
  std::map<std::string, int> runs_of;
  for (const auto& r : rows) {
    const std::string run = "[" + r.folder + "](" + r.folder + "/SUMMARY.md)";
    if (!r.problem.empty()) {
      t.Add({r.date, run, "—", "—", "—", "—", r.gates, r.problem, "—"});
      continue;
    }
    t.Add({r.date, run, r.commit, r.label.empty() ? "—" : r.label, r.suite, r.engines, r.gates,
           r.reference, "`" + r.machine + "`"});
    if (runs_of[r.machine]++ == 0) machines.push_back(&r);
  }
  md += t.Render();
  md += "\n## Machines\n\n";
  Table m({"machine", "runs", "CPU", "cores / PUs", "memory", "kernel", "hypervisor", "storage",
           "governor"});
  for (const IndexRow* r : machines) {
    std::vector<std::string> cells = {"`" + r->machine + "`", std::to_string(runs_of[r->machine])};
    cells.insert(cells.end(), r->machine_details.begin(), r->machine_details.end());
    m.Add(std::move(cells));
  }
  md += m.Render();
  // The runs of each machine together: the ones that compare with each other (and that a fleet
  // run, scripts/fleet.sh, puts side by side).
  md += "\n## Runs by machine\n\n";
  for (const IndexRow* r : machines) {
    std::vector<std::string> folders;
    for (const auto& run : rows) {
      if (run.problem.empty() && run.machine == r->machine) {
        folders.push_back("[" + run.folder + "](" + run.folder + "/SUMMARY.md)");
      }
    }
    md += "- `" + r->machine + "` (" + r->machine_details[0] + "): " + Join(folders, ", ") + "\n";
  }
  if (machines.empty()) md += "_(none)_\n";
  return md;
}

Result<int> WriteIndex(const std::string& results_dir) {
  std::error_code ec;
  if (!fs::is_directory(results_dir, ec)) {
    return Status::InvalidArgument(results_dir + ": not a directory");
  }
  const std::vector<IndexRow> rows = ScanRuns(results_dir);
  STATELAB_RETURN_IF_ERROR(
      util::WriteFile((fs::path(results_dir) / "INDEX.md").string(), RenderIndex(rows)));
  return static_cast<int>(rows.size());
}

}  // namespace statelab::reports
