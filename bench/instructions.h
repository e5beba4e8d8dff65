#pragma once
// --metric instructions (docs/compare.md, "Instruction counts"): instructions per op of each
// single-threaded loop cell over a fixed op count, a figure machine noise cannot move. Where the
// hardware counters open, they count the measured region in process. Where they are refused (most
// VMs), statelab-bench re-executes itself under
// `valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no`: Measure switches collection
// on around the measured loop only (bench/measure.cc), the child dumps callgrind's counts after
// each cell under the cell's name, and the parent reads the dumps' instruction totals (Ir).
// Thread-safety: one run at a time, driven from one thread.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bench/cell.h"
#include "bench/run.h"
#include "engines/api/status.h"
#include "harness/baseline.h"

namespace statelab::bench {

// Set in the callgrind child's environment to its scratch folder: the child writes its
// baseline.json to <folder>/run and callgrind writes its dumps to <folder>/callgrind.out*.
inline constexpr char kCallgrindChildEnv[] = "STATELAB_CALLGRIND_CHILD";

// Why a cell has no reproducible instruction count, "" when it has one: the count of a
// multi-threaded or single-shot cell depends on how threads were scheduled.
std::string NotCountable(const CellDef& cell);

// Moves the cells without a reproducible count from cat.cells() to cat.skipped(), with the reason.
void KeepCountable(Catalogue& cat);

// Runs each cell once for `ops` operations, without Google Benchmark. With `dump`, callgrind's
// counts are dumped after each cell (and reset) under the cell's name.
RunOutcome RunCounted(const std::vector<CellDef>& cells, const RunnerConfig& cfg, uint64_t ops,
                      bool dump);

// One callgrind output file: what triggered the dump and the instructions (Ir) it counted.
struct CallgrindDump {
  std::string trigger;  // "<cell name>" for the child's dumps (from "Client Request: <name>")
  uint64_t instructions = 0;
};
// InvalidArgument naming `source` when the text has no totals line.
Result<CallgrindDump> ParseCallgrindOut(std::string_view text, std::string_view source);
// Every callgrind.out* file in `dir`: instructions by trigger.
Result<std::map<std::string, uint64_t>> ReadCallgrindDumps(const std::string& dir);

// Runs this executable with `args` (argv[1..]) under callgrind, with kCallgrindChildEnv set to
// `child_dir`; its output goes to ours. Returns the child's exit code; an error when valgrind
// cannot be started or the child died of a signal.
Result<int> RunUnderCallgrind(const std::vector<std::string>& args, const std::string& child_dir);

// Sets counters.instructions_per_op of every result from the dump with its name, over the
// result's operations; `source` goes into counters.reason. InvalidArgument when a result has no
// dump.
Status ApplyDumps(const std::map<std::string, uint64_t>& dumps, std::string_view source,
                  std::vector<harness::BenchmarkResult>* results);

}  // namespace statelab::bench
