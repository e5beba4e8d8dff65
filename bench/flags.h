#pragma once
// Command-line flags of statelab-bench (docs/harness.md, "Flags"). Strict: an unknown flag, a
// missing value or a value outside its set is an error the caller reports with exit code 2.
// Thread-safety: pure functions over plain values.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/cell.h"
#include "bench/shard.h"
#include "engines/api/status.h"
#include "workloads/core_workload.h"

namespace statelab::bench {

// The tiers of the catalogue, in run order.
inline constexpr std::string_view kTiers[] = {
    "A0", "A1", "B", "C", "D", "durability", "recovery", "memory", "scenario", "ycsb"};
// The harness's own pseudo-engines: the harness floor and the raw device.
inline constexpr std::string_view kNullEngine = "null";
inline constexpr std::string_view kDeviceEngine = "device";
// --engines all: every engine of AllEngines, null, device and every peer (docs/peers.md).
inline constexpr std::string_view kAllEnginesWord = "all";

// What a run measures: time (Google Benchmark's repetitions) or instructions per op (a fixed op
// count per cell, from the hardware counters or under callgrind; bench/instructions.h).
enum class Metric : uint8_t { kTime, kInstructions };
inline constexpr uint64_t kDefaultInstructionOps = 10000;

struct BenchOptions {
  Suite suite = Suite::kQuick;
  std::vector<std::string> engines;  // empty: AllEngines plus null and device (no peers)
  std::vector<std::string> modes;    // empty: every mode
  std::vector<std::string> tiers;    // empty: every tier
  std::string filter;                // ECMAScript regex searched in cell names; "" = all
  std::optional<int> repetitions;    // default: 5 (quick) or 9
  std::vector<int> threads;          // D tier / group commit thread counts; default by suite
  int cores = 0;                     // 0 = every PU
  uint64_t seed = 0x5EED5EED;
  std::string out;                    // directory for baseline.json and gbench.json
  std::optional<double> min_time;     // seconds per repetition of a loop cell; default by suite
  std::string data_dir;               // default: a fresh directory under TMPDIR
  std::string label;                  // appended to the run id
  std::vector<std::string> warnings;  // extra environment warnings (from bench_runner.sh)
  std::string reference_platform;     // default: gates/reference_platform.json of the source tree
  Metric metric = Metric::kTime;
  uint64_t instruction_ops = kDefaultInstructionOps;  // ops per cell with --metric instructions
  uint64_t null_work = 0;  // test-only: work-chain iterations per null-engine call (--null-work)
  // --workload FILE (repeatable): YCSB CoreWorkload property files run instead of the catalogue;
  // -p name=value (repeatable) overrides a property of every one of them.
  std::vector<std::string> workload_files;
  std::vector<workloads::PropertyOverride> properties;
  std::optional<ShardSpec> shard;  // run only this shard of the selection (bench/shard.h)
  bool list = false;       // print the selected and skipped cells, run nothing
  bool describe = false;   // print Describe() (bench/describe.h), run nothing
  bool help = false;

  // "quick" | "standard" | "full", or "custom" when --tier or --filter narrowed the suite.
  std::string SuiteLabel() const;
  int Repetitions() const;
  double MinTime() const;
  std::vector<int> ThreadCounts() const;
  // Tier D disjoint put: --threads, else the suite's counts with more threads than a small
  // machine's cores (quick 1,2,4; otherwise 1,2,4,8).
  std::vector<int> DisjointThreadCounts() const;
  // --threads when given, else 1,4,16 (quick) or 1,2,4,...,64: group commit needs many writers.
  std::vector<int> GroupCommitThreadCounts() const;
};

// argv[0] is skipped. InvalidArgument naming the flag on a usage error (the caller prints the
// message and exits 2).
Status ParseBenchFlags(int argc, const char* const* argv, BenchOptions* out);
std::string BenchUsage();

}  // namespace statelab::bench
