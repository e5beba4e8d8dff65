#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "harness/baseline.h"

namespace statelab::harness {

// One hardware thread (PU) in pinning order.
struct PuInfo {
  int pu_os_index = -1;  // OS CPU number, as in /proc/cpuinfo and sched_setaffinity.
  int core_index = -1;   // hwloc logical index of the physical core.
  int rank_in_core = 0;  // 0 for the first PU of its core, 1.. for SMT siblings.
  bool smt_sibling() const { return rank_in_core > 0; }
  bool operator==(const PuInfo&) const = default;
};

// What PinCurrentThread did; the caller stores it with each result (baseline Pinning).
struct PinResult {
  bool pinned = false;
  std::string reason;           // Why not pinned; "" when pinned.
  bool oversubscribed = false;  // index >= PU count: wrapped around, so PUs are shared.
  PuInfo pu;
  std::string Describe() const;  // "pu 3 (core 1, smt sibling)" or the failure reason.
};

// Sorts PUs "physical cores first, then SMT siblings": all rank-0 PUs by core, then all rank-1
// PUs by core, and so on. Pure; exposed for tests.
std::vector<PuInfo> OrderPhysicalFirst(std::vector<PuInfo> pus);

// The machine's hwloc topology, loaded once. After construction every const method is
// thread-safe (hwloc allows concurrent read-only use of a loaded topology).
class Topology {
 public:
  Topology();
  ~Topology();
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  // The process-wide instance (loaded on first use).
  static const Topology& Get();

  bool ok() const { return topology_ != nullptr; }
  const std::string& error() const { return error_; }  // Why hwloc failed; "" when ok.

  // Pinning order over the PUs this process may run on.
  const std::vector<PuInfo>& PinOrder() const { return order_; }

  // Binds the calling thread to PinOrder()[index % size]. Never throws; on failure the thread
  // stays unbound and the result says why.
  PinResult PinCurrentThread(std::size_t index) const;

  // The raw hwloc_topology_t (for environment capture), or nullptr when !ok().
  void* raw() const { return topology_; }

 private:
  void* topology_ = nullptr;  // hwloc_topology_t; void* keeps <hwloc.h> out of this header.
  std::string error_;
  std::vector<PuInfo> order_;
};

// Baseline pinning record for a benchmark's threads (thread i got results[i]).
Pinning ToBaselinePinning(const std::vector<PinResult>& results);

}  // namespace statelab::harness
