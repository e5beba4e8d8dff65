#pragma once

#include <array>
#include <boost/json.hpp>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/baseline.h"
#include "harness/noise.h"

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

// Captures everything in docs/baseline_schema.md "environment", including machine (with its
// fingerprint), baseline_validity (from options.build and `git`), reference_platform, warnings and
// noise.before. load_average.after and noise.after are null.
boost::json::object CaptureEnvironment(const EnvironmentOptions& options, const GitInfo& git);

// A run during which more than this share of CPU time was stolen by the hypervisor, or some task
// waited for a CPU more than this share of the time, gets a warning (RecordRunEnd).
inline constexpr double kNoisyStealFraction = 0.02;
inline constexpr double kNoisyCpuPressureFraction = 0.10;

// At the end of the run: load_average.after, noise.after and the run's noise figures, and a
// warning when steal or CPU pressure passed the limits above. The second form takes the end
// sample (tests).
void RecordRunEnd(boost::json::object& env);
void RecordRunEnd(boost::json::object& env, const NoiseSample& end);

// Warnings derived from a captured environment: governor not performance (or unknown), turbo on,
// SMT on, load > 0.5 before the run, virtual machine, no hardware counters, not valid as a
// baseline, not the reference platform.
std::vector<std::string> EnvironmentWarnings(const boost::json::object& env);

// "2024-05-01T12:34:56Z".
std::string UtcIso8601(std::time_t t);
// "run_2024-05-01_12-34-56_<first 12 hex of commit>[_<label>]"; label characters outside
// [A-Za-z0-9._-] become '-'.
std::string MakeRunId(std::time_t t, std::string_view commit, std::string_view label);

// --- The machine (environment.machine): what a run's numbers depend on, hashed into one
// fingerprint that the cross-machine guard (gates/run_facts.h) and INDEX.md compare. ---

// Every field is std::nullopt (JSON null) when it cannot be read here.
struct MachineFacts {
  std::optional<std::string> cpu_model;
  std::optional<std::string> cpu_flags_sha256;  // first 16 hex of sha256 of the sorted flags
  std::optional<int64_t> cpu_flags_count;
  std::optional<std::string> microcode;
  std::optional<int64_t> cores;
  std::optional<int64_t> pus;
  std::optional<int64_t> memory_gib;  // MemTotal rounded to the nearest GiB
  std::optional<std::string> kernel_release;
  std::optional<std::string> hypervisor;     // "none" on bare metal
  std::optional<std::string> storage_model;  // of the device holding the data directory
  std::optional<std::string> governor;       // governor.summary
};
// The fields of environment.machine in canonical (and written) order; "fingerprint" follows.
inline constexpr std::array<std::string_view, 11> kMachineFields = {
    "cpu_model",  "cpu_flags_sha256", "cpu_flags_count", "microcode",     "cores",   "pus",
    "memory_gib", "kernel_release",   "hypervisor",      "storage_model", "governor"};
// The fields of kMachineFields in order plus "fingerprint" (MachineFingerprint of them).
boost::json::object MachineJson(const MachineFacts& facts);
// Lowercase hex sha256 over "statelab-machine-1\n" and one "<field>=<serialized JSON value>\n" per
// field of kMachineFields ("null" when absent): the same facts give the same fingerprint.
std::string MachineFingerprint(const boost::json::object& machine);
// The short form (first 12 hex digits) INDEX.md and messages show.
std::string ShortFingerprint(std::string_view fingerprint);

// --- Parsing helpers, exposed for tests. ---

// The CPU flags of the first processor in /proc/cpuinfo ("flags" on x86, "Features" on arm64),
// sorted and without duplicates; empty when neither line exists.
std::vector<std::string> CpuFlags(std::string_view cpuinfo);
// The hypervisor's name: the CPUID 0x40000000 signature ("KVMKVMKVM", "Microsoft Hv",
// "VMwareVMware"), else /sys/hypervisor/type ("xen"), else systemd-detect-virt --vm when not
// "none"; "unknown" when only the hypervisor bit (or cpuinfo flag) says there is one; "none".
std::string HypervisorName(bool hypervisor_bit, std::string_view cpuid_signature,
                           const std::optional<std::string>& sys_hypervisor_type,
                           const std::optional<std::string>& detect_virt);
// The model of the disk behind a block device's sysfs entry (/sys/dev/block/MAJ:MIN or
// /sys/class/block/NAME): a partition's disk, device/model (SATA, SCSI, NVMe), else
// device/modalias (virtio: "virtio:d00000002v00001AF4"), else the disks under a device-mapper or
// md device joined with " + ", else the device's name (zram0, loop1). std::nullopt when the entry
// does not exist.
std::optional<std::string> BlockDeviceModel(const std::filesystem::path& sys_block_entry);

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
