#pragma once
// What else the machine was doing while we measured: CPU steal time (/proc/stat), CPU pressure
// (/proc/pressure/cpu), this process's context switches (getrusage) and the load average.
// A sample is a few small reads into a stack buffer (no allocation), taken around each call of a
// cell and at the start and end of a run, never inside a timed loop. Figures are recorded per run
// (environment.noise) and per cell (extra.noise_*), docs/baseline_schema.md.
// Thread-safety: every function is thread-safe (no shared state).

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace statelab::harness {

// The aggregate "cpu" line of /proc/stat, in USER_HZ ticks summed over every CPU.
struct CpuTicks {
  uint64_t total = 0;  // user + nice + system + idle + iowait + irq + softirq + steal
  uint64_t steal = 0;  // time a hypervisor ran something else while a vCPU wanted to run
};
// std::nullopt when there is no "cpu " line or it has fewer than 8 numbers (steal is the 8th).
std::optional<CpuTicks> ParseProcStatCpu(std::string_view proc_stat);

// The "some" line of /proc/pressure/cpu: the share of time at least one runnable task waited for
// a CPU.
struct CpuPressure {
  double some_avg10 = 0;       // percent over the last 10 s
  uint64_t some_total_us = 0;  // cumulative stall time
};
// std::nullopt when there is no "some" line with avg10= and total=.
std::optional<CpuPressure> ParseCpuPressure(std::string_view text);

struct LoadAverages {
  double one_min = 0;
  double five_min = 0;
  double fifteen_min = 0;
};
// The first three numbers of /proc/loadavg.
std::optional<LoadAverages> ParseLoadAverages(std::string_view proc_loadavg);

// One reading of every source. A source that cannot be read is std::nullopt.
struct NoiseSample {
  int64_t monotonic_ns = 0;
  std::optional<CpuTicks> cpu;
  std::optional<CpuPressure> pressure;
  int pressure_errno = 0;  // why `pressure` is absent: errno of open/read, 0 when it did not parse
  std::optional<LoadAverages> load;
  std::optional<int64_t> voluntary_context_switches;    // getrusage(RUSAGE_SELF): all threads
  std::optional<int64_t> involuntary_context_switches;  // preempted: the noise that hits us
};
NoiseSample SampleNoise();

// Why /proc/pressure/cpu gave no figures: a missing file (kernel without CONFIG_PSI), psi=0 on
// the kernel command line (EOPNOTSUPP), or text we could not parse.
std::string CpuPressureUnavailableReason(int err);

// One measured window: a sample before and one after.
struct NoiseWindow {
  NoiseSample before;
  NoiseSample after;
};

// Noise over a set of windows (a cell's reported repetitions, or the whole run): ratios of sums,
// so a long window weighs more than a short one. A figure a window could not read is absent.
struct NoiseFigures {
  std::optional<double> steal_fraction;              // steal ticks / all ticks, every CPU
  std::optional<double> cpu_pressure_some_fraction;  // PSI "some" stall time / wall time
  std::optional<int64_t> voluntary_context_switches;
  std::optional<int64_t> involuntary_context_switches;
  std::optional<double> load_one_min_before;  // of the first window
  std::optional<double> load_one_min_after;   // of the last window
};
NoiseFigures SumNoise(std::span<const NoiseWindow> windows);

// Adds a cell's noise_* keys to `extra` (context switches divided by `ops`); a figure that is
// absent adds no key.
void AddCellNoise(const NoiseFigures& noise, uint64_t ops, std::map<std::string, double>& extra);

// environment.noise.before / .after (the load average is in environment.load_average), and back.
boost::json::object NoiseSampleJson(const NoiseSample& sample);
NoiseSample NoiseSampleFromJson(const boost::json::object& o);

}  // namespace statelab::harness
