#pragma once
// Report writers for one run folder: SUMMARY.md, environment.md, facade_tax.md, ab_engines.md,
// redis_comparison.md and plots/*.svg, all from the folder's baseline.json and (when present) the
// gate verdicts in its gates.json. Nothing here re-runs a benchmark; a figure that is missing from
// the input is shown as missing, never estimated.

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "engines/api/status.h"
#include "gates/gate_eval.h"
#include "harness/baseline.h"

namespace statelab::reports {

struct ReportOptions {
  bool plots = true;
  // gnuplot binary; "" = look for "gnuplot" on PATH (overridable with $STATELAB_GNUPLOT).
  std::string gnuplot;
};

struct ReportOutcome {
  std::vector<std::string> written;  // files written
  std::vector<std::string> notes;    // what was skipped and why
};

// Writes every report of `run_dir` (which must contain baseline.json); what was written and
// skipped. The error of a bad baseline.json or an unwritable folder names the file.
Result<ReportOutcome> WriteRunReport(const std::string& run_dir, const ReportOptions& options);

// Renderers (pure; exposed for tests). `gates` is null when the run has no gates.json.
std::string RenderSummary(const harness::Baseline& run, const gates::VerdictFileSummary* gates,
                          const std::string& gates_note, const std::vector<std::string>& notes);
std::string RenderEnvironment(const harness::Baseline& run);
std::string RenderFacadeTax(const harness::Baseline& run);
std::string RenderAbEngines(const harness::Baseline& run);
// From run.servers; `why_missing` explains an empty one.
std::string RenderRedis(const harness::Baseline& run, const std::string& why_missing);

// Searches PATH for an executable; "" when not found.
std::string FindOnPath(const std::string& name);

}  // namespace statelab::reports
