#pragma once
// results/INDEX.md: one row per run folder (results/run_*/baseline.json, plus its gates.json),
// newest first, labelled by machine fingerprint, then one row per machine, then each machine's
// runs grouped. Regenerated from the folders every time, so it can never disagree with them.

#include <string>
#include <vector>

#include "engines/api/status.h"

namespace statelab::reports {

struct IndexRow {
  std::string folder;  // run folder name
  std::string date;    // created_utc, or the date in the folder name when unreadable
  std::string commit;  // short hash
  std::string label;
  std::string suite;
  std::string engines;
  std::string gates;      // "N passed / M failed (...)" or why not evaluated
  std::string reference;  // "yes" / "no"
  // gates::MachineLabel: the short fingerprint, or hostname and CPU for runs without one.
  std::string machine;
  // The Machines table's cells for it: CPU, cores / PUs, memory, kernel, hypervisor, storage,
  // governor ("—" when unknown).
  std::vector<std::string> machine_details;
  std::string problem;  // why the row is incomplete ("" when fine)
};

// Reads every run folder under `results_dir`; unreadable runs become rows that say why.
std::vector<IndexRow> ScanRuns(const std::string& results_dir);
std::string RenderIndex(const std::vector<IndexRow>& rows);
// Writes results_dir/INDEX.md; the number of runs it lists. InvalidArgument when results_dir is
// not a directory, IOError when INDEX.md cannot be written.
Result<int> WriteIndex(const std::string& results_dir);

}  // namespace statelab::reports
