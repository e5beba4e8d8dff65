#pragma once
// baseline.json (docs/baseline_schema.md): the model and what is computed from measurements
// (baseline.cc), the writer (baseline_writer.cc) and the strict reader (baseline_reader.cc). The
// derived section's computation is in harness/derived.h.

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engines/api/status.h"

namespace statelab::harness {

class Histogram;

// The baseline.json model, field for field as documented in docs/baseline_schema.md. Optional
// numbers are std::optional and are written as JSON null: absent never reads as 0.
// Plain value types; not synchronized (build one per run on one thread).

inline constexpr std::string_view kSchemaVersion = "1";
// The "kind" of shard.json, the plan a part of a split fleet run writes before it runs
// (statelab-bench --shard, read back by statelab-report merge; docs/fleet.md).
inline constexpr std::string_view kShardFileKind = "statelab-shard";

struct GitInfo {
  std::string commit = "unknown";
  std::string branch = "unknown";
  std::optional<bool> dirty;  // std::nullopt when git could not tell.
  bool operator==(const GitInfo&) const = default;
};

struct RunConfig {
  std::string suite;
  std::vector<std::string> engines;
  // What each of `engines` is: kKindEngine, kKindPeer or kKindHarness. Empty in files written
  // before it was recorded; readers then fall back on the benchmarks' own kind.
  std::map<std::string, std::string> engine_kinds;
  std::vector<std::string> modes;
  int64_t repetitions = 0;
  uint64_t seed = 0;
  int64_t cores = 0;
  bool operator==(const RunConfig&) const = default;
};

struct Repetition {
  double ns_per_op = 0;    // elapsed_ns * threads / total ops.
  double ops_per_sec = 0;  // total ops of all threads / elapsed s.
  int64_t iterations = 0;  // total ops of all threads.
  bool operator==(const Repetition&) const = default;
};

struct Stats {
  double mean_ns = 0;
  double median_ns = 0;
  std::optional<double> stddev_ns;  // Sample stddev; absent with one repetition.
  std::optional<double> cv;         // stddev / mean; absent with one repetition or mean 0.
  double min_ns = 0;
  double max_ns = 0;
  bool operator==(const Stats&) const = default;
};

struct Latency {
  // A percentile is null when the histogram held too few samples for it
  // (harness::MinSamplesForPercentile); percentile_notes says why.
  std::optional<double> p50_ns;
  std::optional<double> p90_ns;
  std::optional<double> p95_ns;
  std::optional<double> p99_ns;
  std::optional<double> p999_ns;
  double max_ns = 0;
  int64_t samples = 0;
  double timer_overhead_ns = 0;
  // Field name ("p999_ns") -> why it is null; empty when every percentile is published.
  std::map<std::string, std::string> percentile_notes;
  bool operator==(const Latency&) const = default;
};

// The latency percentiles as baseline.json names them, for the writer, the reader and the tools.
struct LatencyPercentile {
  std::string_view name;  // "p999_ns"
  double q;               // 99.9
  std::optional<double> Latency::*field;
};
inline constexpr LatencyPercentile kLatencyPercentiles[] = {{"p50_ns", 50, &Latency::p50_ns},
                                                            {"p90_ns", 90, &Latency::p90_ns},
                                                            {"p95_ns", 95, &Latency::p95_ns},
                                                            {"p99_ns", 99, &Latency::p99_ns},
                                                            {"p999_ns", 99.9, &Latency::p999_ns}};

struct Counters {
  bool available = false;
  std::string reason;
  std::optional<double> instructions_per_op;
  std::optional<double> cycles_per_op;
  std::optional<double> ipc;
  std::optional<double> branch_misses_per_op;
  std::optional<double> l1d_misses_per_op;
  std::optional<double> llc_misses_per_op;
  std::optional<double> task_clock_ns_per_op;
  std::optional<double> context_switches;
  std::optional<double> page_faults;
  std::optional<double> hw_running_fraction;
  bool operator==(const Counters&) const = default;
};

// How often a thread's sched_getcpu() samples saw one PU.
struct PuSampleCount {
  int64_t pu_os_index = 0;
  int64_t samples = 0;
  bool operator==(const PuSampleCount&) const = default;
};

struct PinnedThread {
  int64_t thread = 0;
  int64_t pu_os_index = 0;
  int64_t core_index = 0;
  bool smt_sibling = false;
  std::vector<PuSampleCount> observed;  // where it ran (absent in files written before)
  bool operator==(const PinnedThread&) const = default;
};

// A thread the harness did not start that ran during the measured region (an engine's owner
// thread, a group commit thread): never pinned by the harness.
struct ObservedThread {
  std::string name;
  int64_t tid = 0;
  int64_t last_pu_os_index = -1;
  double cpu_ms = 0;  // its CPU time within the region
  bool operator==(const ObservedThread&) const = default;
};

struct Pinning {
  bool pinned = false;
  std::string reason;
  std::vector<PinnedThread> threads;
  // Which thread ran the measured loop ("the calling thread", "harness threads 0-3"); and the
  // process's other threads that ran meanwhile. Both absent in files written before.
  std::string measured_by;
  std::vector<ObservedThread> others;
  bool operator==(const Pinning&) const = default;
};

// A params value is a number or a string ("n": 10000, "dist": "zipfian").
using ParamValue = std::variant<double, std::string>;
using Params = std::map<std::string, ParamValue>;

// A params value as text: strings as they are, whole numbers as integers ("1000000"), others in
// shortest round-trip form ("0.99").
std::string ParamText(const ParamValue& value);
// "k=v,k=v" in key order, "" when there are none: the params segment of names and reports.
std::string ParamsText(const Params& params);

// What a benchmark's engine is: ours, a peer (RocksDB, LMDB, FAISS, hnswlib) or the harness's own
// floor (the null engine, the device).
inline constexpr std::string_view kKindEngine = "engine";
inline constexpr std::string_view kKindPeer = "peer";
inline constexpr std::string_view kKindHarness = "harness";

struct BenchmarkResult {
  std::string name;
  std::string tier;
  std::string group;
  std::string op;
  std::string engine;
  std::string kind{kKindEngine};  // absent in files written before peers existed: "engine"
  std::string mode;
  int64_t threads = 1;
  Params params;
  std::vector<Repetition> repetitions;
  Stats stats;
  std::optional<Latency> latency;
  std::optional<double> allocs_per_op;
  std::optional<double> bytes_allocated_per_op;
  Counters counters;
  std::map<std::string, double> extra;
  Pinning pinning;
  bool operator==(const BenchmarkResult&) const = default;
};

struct FacadeTax {
  std::string kind;  // "A1/A0", "B/A1" or "B/A0".
  std::string op;    // The mapping's label.
  std::string engine;
  std::string mode;
  std::string numerator;    // Benchmark name.
  std::string denominator;  // Benchmark name.
  double numerator_median_ns = 0;
  double denominator_median_ns = 0;
  double ratio = 0;
  bool operator==(const FacadeTax&) const = default;
};

struct Scaling {
  std::string tier;
  std::string group;
  std::string op;
  std::string engine;
  std::string mode;
  Params params;
  int64_t threads = 0;
  double ops_per_sec_1 = 0;
  double ops_per_sec_n = 0;
  double speedup = 0;
  double efficiency = 0;
  bool operator==(const Scaling&) const = default;
};

struct Derived {
  std::vector<FacadeTax> facade_tax;
  std::vector<Scaling> scaling;
  bool operator==(const Derived&) const = default;
};

struct Baseline {
  std::string schema_version{kSchemaVersion};
  std::string run_id;
  std::string created_utc;
  GitInfo git;
  boost::json::object environment;  // Documented keys; see harness/environment.h.
  RunConfig config;
  std::vector<BenchmarkResult> benchmarks;
  Derived derived;
  // The RESP server measurements (redis-server, `statelab serve`) the bench runner attaches after
  // the run; empty when none were taken. Documented in docs/baseline_schema.md#servers.
  boost::json::object servers;
  // The YCSB workload files the run's ycsb cells came from, by name: file, file_sha256,
  // definition_sha256, properties. Documented in docs/baseline_schema.md#workloads.
  boost::json::object workloads;
  bool operator==(const Baseline&) const = default;
};

// --- Computation (baseline.cc). ---

// Stats over repetitions[].ns_per_op. InvalidArgument when `reps` is empty.
Result<Stats> ComputeStats(std::span<const Repetition> reps);

// Percentiles of a merged histogram, each only from enough samples (null with a note otherwise);
// std::nullopt when it holds no samples.
std::optional<Latency> LatencyFromHistogram(const Histogram& histogram, double timer_overhead_ns);

// --- JSON: writing (baseline_writer.cc) and the strict reader (baseline_reader.cc). ---
// Errors name the file and the field path, e.g. InvalidArgument
// "results/x/baseline.json: benchmarks[3].stats.median_ns: missing required field"; a file that
// cannot be read or written is an IOError.

boost::json::value ToJson(const Baseline& baseline);
Result<Baseline> FromJson(const boost::json::value& json, std::string_view source);

// Writes util::JsonFileText(ToJson(baseline)); never overwrites an existing file (a run folder is
// written once).
Status WriteBaselineFile(const Baseline& baseline, const std::string& path);
// Parses `text` (from `source`, used in messages).
Result<Baseline> ParseBaseline(std::string_view text, std::string_view source);
Result<Baseline> ReadBaselineFile(const std::string& path);
// Sets the `servers` section of the baseline.json at `path` (replacing any earlier one) and
// rewrites the file through a temporary and a rename. Every other key is kept byte for byte in
// meaning; the result must read back (FromJson), otherwise nothing is written.
Status AttachServers(const std::string& path, const boost::json::object& servers);

}  // namespace statelab::harness
