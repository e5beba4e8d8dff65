#pragma once
// Compares the instructions per op of two runs of statelab-bench --metric instructions
// (docs/compare.md, "Instruction counts"). The count is deterministic for a given binary and
// input, so there is no test: a change beyond the threshold (default 1%) is the verdict. Cells
// without a count on either side are listed and never pass silently as "unchanged".
// Pure functions over loaded runs; thread-safe.

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gates/run_facts.h"
#include "reports/compare.h"

namespace statelab::reports {

struct InstructionOptions {
  double threshold_pct = 1.0;
};

struct InstructionRow {
  std::string name;
  std::optional<double> old_per_op;  // counters.instructions_per_op
  std::optional<double> new_per_op;
  std::optional<double> change_pct;  // (new - old) / old * 100
  Change verdict = Change::kUnchanged;
  std::string note;  // "no instruction count in the old run", ...
};

struct InstructionResult {
  std::string old_path, new_path;
  InstructionOptions options;
  std::vector<std::string> notes;  // e.g. the runs counted with different sources
  std::vector<InstructionRow> rows;

  int Count(Change c) const;
  int Compared() const;  // rows with a count on both sides
  // 1 on a regression, 3 when no cell has a count on both sides (nothing was compared), else 0.
  int ExitCode() const;
};

InstructionResult CompareInstructions(const gates::RunFile& old_run, const gates::RunFile& new_run,
                                      const InstructionOptions& options);
std::string InstructionsToMarkdown(const InstructionResult& r);
boost::json::value InstructionsToJson(const InstructionResult& r);

}  // namespace statelab::reports
