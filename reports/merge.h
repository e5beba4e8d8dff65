#pragma once
// statelab-report merge: the part folders of a split fleet run (statelab-bench --shard I/N, one
// folder per Slurm array task; docs/fleet.md) merged into one run folder whose baseline.json is
// what a single process would have written for the same cells: results in catalogue order,
// derived recomputed, skipped[] the union. Parts must share the machine fingerprint, commit,
// suite, seed and shard count, or nothing is written. A part that did not finish (no
// baseline.json) names every cell it owed in skipped[] with failed: true and the reason; a part
// with no shard.json at all is named by a "fleet/part/I-of-N" entry. environment.fleet keeps each
// part's host, fingerprint, run id and status.
// Thread-safety: one merge at a time per output folder; no shared state.

#include <string>
#include <vector>

#include "engines/api/status.h"

namespace statelab::reports {

// A part folder's optional one-line note on how its task ended, written by scripts/fleet.sh
// ("exit 137", "TIMEOUT"); used as the reason of a part that left no baseline.json.
inline constexpr char kPartStatusFile[] = "fleet_status.txt";

struct MergeOutcome {
  std::string path;  // the baseline.json written
  size_t results = 0;
  size_t skipped = 0;
  int parts_complete = 0;
  int parts_incomplete = 0;  // no baseline.json, or no shard.json
  std::vector<std::string> notes;
};

// Writes out_dir/baseline.json (creating out_dir; refused when it already holds one).
// InvalidArgument naming the part and the field when the parts do not belong together (different
// fingerprint, commit, suite, seed or shard count, a shard index twice, a result in two parts) or
// when no part finished; IOError when a file cannot be read or written.
Result<MergeOutcome> MergeParts(const std::string& out_dir, const std::vector<std::string>& parts);

}  // namespace statelab::reports
