#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "engines/api/status.h"
#include "harness/baseline.h"

struct perf_event_attr;  // <linux/perf_event.h>

namespace statelab::harness {

// Hardware events, opened as one group (leader = instructions) so their ratios come from the same
// scheduled time slices. Order = order of values in a group read.
enum HwEvent : int { kInstructions = 0, kCycles, kBranchMisses, kL1dReadMisses, kLlcMisses };
inline constexpr int kNumHwEvents = 5;
// Software events, opened separately: they work on VMs that refuse the hardware PMU.
enum SwEvent : int { kTaskClock = 0, kContextSwitches, kPageFaults };
inline constexpr int kNumSwEvents = 3;

std::string_view HwEventName(int event);
std::string_view SwEventName(int event);

// --- Pure logic (no syscalls), unit-tested with synthetic buffers. ---

// Largest group we parse; more than we open, so a malformed nr is caught rather than overrun.
inline constexpr int kMaxGroupEvents = 8;

// One read() of a group leader opened with
// PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING:
//   u64 nr; u64 time_enabled; u64 time_running; u64 value[nr];
struct GroupRead {
  uint64_t nr = 0;
  uint64_t time_enabled = 0;
  uint64_t time_running = 0;
  std::array<uint64_t, kMaxGroupEvents> values{};
};
// std::nullopt when the buffer is shorter than its header says, or nr is 0 or > kMaxGroupEvents.
std::optional<GroupRead> ParseGroupRead(std::span<const uint64_t> words);

// One read() of a single event opened with TOTAL_TIME_ENABLED | TOTAL_TIME_RUNNING:
//   u64 value; u64 time_enabled; u64 time_running;
struct SingleRead {
  uint64_t value = 0;
  uint64_t time_enabled = 0;
  uint64_t time_running = 0;
};
std::optional<SingleRead> ParseSingleRead(std::span<const uint64_t> words);

// Multiplexing correction: value * enabled / running. The event was counted only for `running`
// of the `enabled` ns, so this estimates the full-interval count. running == 0 means it never
// counted: std::nullopt, never 0.
std::optional<double> ScaleCount(uint64_t value, uint64_t time_enabled, uint64_t time_running);

// "perf_event_open(cycles): No such file or directory (errno 2)".
std::string DescribeOpenFailure(std::string_view event, int err);

// Counts over one interval: one thread, or summed over threads with Accumulate().
struct PerfSample {
  bool hw_available = false;
  std::string reason;  // Why hardware (or any software) values are missing; "" when none are.
  std::array<std::optional<double>, kNumHwEvents> hw;
  std::array<std::optional<double>, kNumSwEvents> sw;
  // time_running / time_enabled of the hardware group (min over accumulated threads).
  std::optional<double> hw_running_fraction;

  // Sums another thread's sample. A value missing on either side is missing in the sum: a total
  // over only some threads would look like a real total and is not.
  void Accumulate(const PerfSample& other);
};

// Hardware values between two group reads, scaled. An unparseable pair or a group that never ran
// gives hw_available = false with the reason.
PerfSample HwDelta(const GroupRead& begin, const GroupRead& end);
std::optional<double> SwDelta(const SingleRead& begin, const SingleRead& end);

// Per-operation figures for baseline.json; everything absent in `total` stays absent, and all
// per-op values are absent when ops == 0.
Counters CountersPerOp(const PerfSample& total, uint64_t ops);

// --- Syscall side. ---

// Signature of the perf_event_open syscall; tests substitute one that fails.
using PerfEventOpenFn = long (*)(perf_event_attr* attr, int pid, int cpu, int group_fd,
                                 unsigned long flags);
long SysPerfEventOpen(perf_event_attr* attr, int pid, int cpu, int group_fd, unsigned long flags);

// Counters of the calling thread (pid 0, any CPU, not inherited by child threads): construct,
// Start() and Stop() on the thread being measured. Hardware counters count user space only, so
// they open the same way under perf_event_paranoid 2 as under 0 and numbers compare across hosts.
// Not thread-safe: one instance per measured thread; results are combined with Accumulate().
class ThreadPerfCounters {
 public:
  explicit ThreadPerfCounters(PerfEventOpenFn open_fn = &SysPerfEventOpen);
  ~ThreadPerfCounters();
  ThreadPerfCounters(const ThreadPerfCounters&) = delete;
  ThreadPerfCounters& operator=(const ThreadPerfCounters&) = delete;

  bool hardware_available() const { return hw_leader_ >= 0; }
  bool any_software_available() const;
  // Why something did not open; "" when everything did.
  const std::string& reason() const { return reason_; }

  // Snapshots the counters; Stop() returns the counts since. A few read() syscalls: call outside
  // the timed loop. Stop() may allocate (the reason string), so take allocation snapshots inside
  // the Start()..Stop() bracket, not around it.
  void Start();
  PerfSample Stop();

 private:
  // IOError when the group cannot be read.
  Result<GroupRead> ReadHw() const;

  int hw_fds_[kNumHwEvents];
  int hw_leader_ = -1;
  int sw_fds_[kNumSwEvents];
  std::string reason_;
  std::optional<Result<GroupRead>> hw_begin_;  // std::nullopt until Start()
  SingleRead sw_begin_[kNumSwEvents];
  bool sw_begin_ok_[kNumSwEvents] = {};
};

// What the environment capture records: whether hardware and software counters open here.
struct PerfProbe {
  bool available = false;  // Hardware group opened.
  std::string reason;      // "" when everything opened.
  bool software_available = false;
};
PerfProbe ProbePerfCounters(PerfEventOpenFn open_fn = &SysPerfEventOpen);

}  // namespace statelab::harness
