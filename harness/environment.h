#pragma once

#include <boost/json.hpp>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/baseline.h"

namespace statelab::harness {

// A 1-minute load average above this before a run is recorded as a warning (other work was
// running); bench_runner.sh reads it through `statelab-bench --describe`.
inline constexpr double kQuietLoadAverage = 0.5;

// Environment capture for baseline.json (docs/baseline_schema.md, "environment"). Every function
// here is thread-safe (no shared mutable state; subprocesses via popen), but capture is meant to
// run once, before the first benchmark. Values that cannot be read become JSON null, never a
// default that looks measured.

// How this binary was built; filled from CMake compile definitions of harness/environment.cc.
struct BuildInfo {
  std::string compiler_id;
  std::string compiler_version;
  std::string flags;
  std::string build_type;
  bool optimized = false;   // __OPTIMIZE__: what the compiler did, whatever the build type says.
  bool assertions = true;   // NDEBUG not defined.
  bool sanitizers = false;  // -fsanitize in the flags.
};
BuildInfo CurrentBuildInfo();

// The repository this binary was built from (CMake's source dir).
std::string DefaultRepoRoot();

// git commit / branch / dirty of `repo_root` through `git -C`. Missing git, not a repository, or
// no commit yet: "unknown" (dirty std::nullopt when `git status` cannot run).
GitInfo CaptureGit(const std::string& repo_root);

// A run is refused as a baseline when unoptimized, with assertions or sanitizers, or from a dirty
// or unknown git tree.
struct BaselineValidity {
  bool valid_as_baseline = false;
  std::vector<std::string> reasons;
};
BaselineValidity AssessBaselineValidity(const BuildInfo& build, const GitInfo& git);

// Result of comparing this machine with gates/reference_platform.json.
struct ReferenceMatch {
  std::string file;
  bool defined = false;              // The file exists and is a JSON object.
  bool match = false;                // defined and every criterion matched.
  std::vector<std::string> reasons;  // Each mismatch, or why there is no reference.
};
// Pure: `env` is a captured environment object, `spec` the parsed reference file.
ReferenceMatch MatchReferenceSpec(const boost::json::object& env, const boost::json::object& spec);
// Reads `path`; a missing or malformed file gives defined = false with the reason.
ReferenceMatch MatchReferencePlatform(const boost::json::object& env, const std::string& path);

struct EnvironmentOptions {
  std::string data_dir = ".";           // Where benchmarks write files (storage device, fs).
  std::string reference_platform_path;  // gates/reference_platform.json; "" = not given.
  BuildInfo build = CurrentBuildInfo();
  bool probe_perf = true;  // Open (and close) perf counters to record availability.
};

// Captures everything in docs/baseline_schema.md "environment", including baseline_validity
// (from options.build and `git`), reference_platform and warnings. load_average.after is null.
boost::json::object CaptureEnvironment(const EnvironmentOptions& options, const GitInfo& git);

// Sets load_average.after at the end of the run.
void RecordLoadAverageAfter(boost::json::object& env);

// Warnings derived from a captured environment: governor not performance (or unknown), turbo on,
// SMT on, load > 0.5 before the run, virtual machine, no hardware counters, not valid as a
// baseline, not the reference platform.
std::vector<std::string> EnvironmentWarnings(const boost::json::object& env);

// "2024-05-01T12:34:56Z".
std::string UtcIso8601(std::time_t t);
// "run_2024-05-01_12-34-56_<first 12 hex of commit>[_<label>]"; label characters outside
// [A-Za-z0-9._-] become '-'.
std::string MakeRunId(std::time_t t, std::string_view commit, std::string_view label);

// --- Parsing helpers, exposed for tests. ---

// "always [madvise] never" -> "madvise".
std::optional<std::string> BracketedChoice(std::string_view text);
// {"performance": 2} -> "performance x2"; several -> "powersave x1, performance x1" (by name).
std::string SummarizeGovernors(const std::map<std::string, int>& counts);
// Value of the first "key : value" line of /proc/cpuinfo-formatted text.
std::optional<std::string> CpuinfoField(std::string_view cpuinfo, std::string_view key);
// /proc/mounts line parsing: the mount (device, mount point, fs type) with the longest mount point
// containing `path`. Mount points are octal-unescaped (\040 = space).
struct MountInfo {
  std::string device;
  std::string mount_point;
  std::string filesystem;
};
std::optional<MountInfo> FindMount(std::string_view proc_mounts, std::string_view path);

}  // namespace statelab::harness
