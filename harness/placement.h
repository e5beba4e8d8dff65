#pragma once
// Where threads ran, as observed rather than as pinned: a measuring thread's own sched_getcpu
// samples (PuSamples), and every thread of the process from /proc/self/task (name, the PU it
// last ran on, CPU time), so threads the harness did not start (an engine's owner threads, group
// commit) are placed too.
// Thread-safety: a PuSamples belongs to one thread; SnapshotTasks and OtherThreads are
// thread-safe.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "harness/baseline.h"

namespace statelab::harness {

// Counts of sched_getcpu() results, one slot per configured PU. Allocates in the constructor only.
class PuSamples {
 public:
  PuSamples();
  void Sample() noexcept;
  std::vector<PuSampleCount> ToBaseline() const;  // PUs with at least one sample, by PU

 private:
  std::vector<uint64_t> counts_;
};

struct TaskCpu {
  std::string name;
  int64_t last_pu = -1;
  int64_t cpu_ns = 0;  // time on a CPU since the thread started (schedstat)
};
// Every thread of this process by tid (empty when /proc is unreadable).
std::map<pid_t, TaskCpu> SnapshotTasks();

// Threads alive at both snapshots that ran between them, except `exclude` (the measuring
// threads), by tid.
std::vector<ObservedThread> OtherThreads(const std::map<pid_t, TaskCpu>& before,
                                         const std::map<pid_t, TaskCpu>& after,
                                         const std::vector<pid_t>& exclude);

}  // namespace statelab::harness
