#include "reports/fleet_report.h"

#include <cstdio>
#include <map>
#include <optional>

#include "util/markdown.h"

namespace statelab::reports {

namespace {

std::string Ns(double ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, ns < 100 ? "%.2f" : "%.0f", ns);
  return buf;
}

std::string Ratio(double r) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fx", r);
  return buf;
}

}  // namespace

Result<std::string> RenderFleetReport(const std::vector<gates::RunFile>& runs, size_t base) {
  if (runs.empty()) return Status::InvalidArgument("fleet report: no runs");
  if (base >= runs.size()) return Status::InvalidArgument("fleet report: --base out of range");
  const harness::Baseline& first = runs.front().baseline;
  for (const gates::RunFile& r : runs) {
    if (r.baseline.git.commit != first.git.commit) {
      return Status::InvalidArgument(r.path + ": commit " + r.baseline.git.commit + " is not " +
                                     runs.front().path + "'s " + first.git.commit +
                                     " (a fleet report compares machines on one commit)");
    }
    if (gates::RunMetric(r.baseline) != gates::RunMetric(first)) {
      return Status::InvalidArgument(r.path + ": measured " + gates::RunMetric(r.baseline) +
                                     ", not " + gates::RunMetric(first));
    }
  }
  std::vector<std::string> labels;
  util::Table machines({"machine", "run", "host", "CPU", "cores / PUs"});
  for (size_t i = 0; i < runs.size(); ++i) {
    const gates::EnvironmentFacts f = gates::ReadEnvironmentFacts(runs[i].baseline.environment);
    labels.push_back(gates::MachineLabel(f) + (i == base ? " (base)" : ""));
    const auto field = [&](std::string_view k) {
      const boost::json::value* v = f.machine.if_contains(k);
      return v == nullptr || v->is_null() ? std::string("—")
             : v->is_string()             ? std::string(v->get_string())
                                          : boost::json::serialize(*v);
    };
    machines.Add({"`" + labels.back() + "`", runs[i].baseline.run_id,
                  f.hostname.empty() ? "—" : f.hostname, field("cpu_model"),
                  field("cores") + " / " + field("pus")});
  }
  // Cells in first-seen order over the runs; median per run.
  std::vector<std::string> cells;
  std::map<std::string, std::vector<std::optional<double>>> median;
  for (size_t i = 0; i < runs.size(); ++i) {
    for (const harness::BenchmarkResult& b : runs[i].baseline.benchmarks) {
      auto [it, fresh] = median.try_emplace(b.name, runs.size());
      if (fresh) cells.push_back(b.name);
      it->second[i] = b.stats.median_ns;
    }
  }
  std::vector<std::string> header = {"cell"};
  for (size_t i = 0; i < runs.size(); ++i) {
    header.push_back("`" + labels[i] + "` median ns");
    if (i != base) header.emplace_back("ratio to base");
  }
  util::Table t(header);
  for (const std::string& name : cells) {
    const std::vector<std::optional<double>>& m = median[name];
    std::vector<std::string> row = {name};
    for (size_t i = 0; i < runs.size(); ++i) {
      row.push_back(m[i] ? Ns(*m[i]) : "—");
      if (i == base) continue;
      row.push_back(m[i] && m[base] && *m[base] > 0 ? Ratio(*m[i] / *m[base]) : "—");
    }
    t.Add(std::move(row));
  }
  return "# Fleet: commit " + first.git.commit.substr(0, 12) + " on " +
         std::to_string(runs.size()) +
         " machines\n\nWritten by `statelab-report fleet` (docs/fleet.md). Median ns per op of "
         "each cell on each machine; a ratio above 1 is slower than the base machine. Each "
         "machine's figures come from its own run, so they compare hardware, with that run's "
         "noise.\n\n## Machines\n\n" +
         machines.Render() + "\n## Cells\n\n" + t.Render();
}

}  // namespace statelab::reports
