#include "harness/pinning.h"

#include <hwloc.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace statelab::harness {
namespace {

hwloc_topology_t Topo(void* p) { return static_cast<hwloc_topology_t>(p); }

}  // namespace

std::string PinResult::Describe() const {
  if (!pinned) return "unpinned: " + reason;
  std::string s = "pu " + std::to_string(pu.pu_os_index) + " (core " +
                  std::to_string(pu.core_index) + (pu.smt_sibling() ? ", smt sibling" : "") + ")";
  if (oversubscribed) s += " oversubscribed";
  return s;
}

std::vector<PuInfo> OrderPhysicalFirst(std::vector<PuInfo> pus) {
  std::stable_sort(pus.begin(), pus.end(), [](const PuInfo& a, const PuInfo& b) {
    if (a.rank_in_core != b.rank_in_core) return a.rank_in_core < b.rank_in_core;
    if (a.core_index != b.core_index) return a.core_index < b.core_index;
    return a.pu_os_index < b.pu_os_index;
  });
  return pus;
}

Topology::Topology() {
  hwloc_topology_t topo = nullptr;
  if (hwloc_topology_init(&topo) != 0) {
    error_ = std::string("hwloc_topology_init: ") + std::strerror(errno);
    return;
  }
  if (hwloc_topology_load(topo) != 0) {
    error_ = std::string("hwloc_topology_load: ") + std::strerror(errno);
    hwloc_topology_destroy(topo);
    return;
  }
  topology_ = topo;

  // Only PUs this process may use (cgroup cpusets, taskset) are candidates: hwloc's default load
  // already restricts the topology to the allowed set.
  std::vector<PuInfo> pus;
  const int n_pu = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
  for (int i = 0; i < n_pu; ++i) {
    hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, i);
    PuInfo info;
    info.pu_os_index = static_cast<int>(pu->os_index);
    hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_CORE, pu);
    if (core != nullptr) {
      info.core_index = static_cast<int>(core->logical_index);
      // Rank = position among the core's PUs in logical order.
      int rank = 0;
      for (hwloc_obj_t sib =
               hwloc_get_next_obj_inside_cpuset_by_type(topo, core->cpuset, HWLOC_OBJ_PU, nullptr);
           sib != nullptr && sib != pu;
           sib = hwloc_get_next_obj_inside_cpuset_by_type(topo, core->cpuset, HWLOC_OBJ_PU, sib)) {
        ++rank;
      }
      info.rank_in_core = rank;
    } else {
      // No core level reported (some VMs): treat each PU as its own core.
      info.core_index = static_cast<int>(pu->logical_index);
    }
    pus.push_back(info);
  }
  order_ = OrderPhysicalFirst(std::move(pus));
  if (order_.empty()) error_ = "hwloc reported no PUs";
}

Topology::~Topology() {
  if (topology_ != nullptr) hwloc_topology_destroy(Topo(topology_));
}

const Topology& Topology::Get() {
  static const Topology* const kInstance = new Topology();  // Never destroyed: used by threads.
  return *kInstance;
}

PinResult Topology::PinCurrentThread(std::size_t index) const {
  PinResult r;
  if (!ok()) {
    r.reason = "no topology: " + error_;
    return r;
  }
  if (order_.empty()) {
    r.reason = "no PUs available";
    return r;
  }
  r.oversubscribed = index >= order_.size();
  r.pu = order_[index % order_.size()];
  hwloc_obj_t pu = hwloc_get_pu_obj_by_os_index(Topo(topology_), r.pu.pu_os_index);
  if (pu == nullptr) {
    r.reason = "pu " + std::to_string(r.pu.pu_os_index) + " not in topology";
    return r;
  }
  // Bind to the single PU (not its core) so the thread cannot drift to the SMT sibling.
  if (hwloc_set_cpubind(Topo(topology_), pu->cpuset, HWLOC_CPUBIND_THREAD) != 0) {
    r.reason =
        "hwloc_set_cpubind(pu " + std::to_string(r.pu.pu_os_index) + "): " + std::strerror(errno);
    return r;
  }
  r.pinned = true;
  return r;
}

Pinning ToBaselinePinning(const std::vector<PinResult>& results) {
  Pinning p;
  p.pinned = !results.empty();
  for (size_t i = 0; i < results.size(); ++i) {
    const PinResult& r = results[i];
    if (!r.pinned) {
      p.pinned = false;
      if (p.reason.empty()) p.reason = "thread " + std::to_string(i) + ": " + r.reason;
      continue;
    }
    p.threads.push_back(
        {static_cast<int64_t>(i), r.pu.pu_os_index, r.pu.core_index, r.pu.smt_sibling(), {}});
  }
  if (results.empty()) p.reason = "no threads were pinned";
  return p;
}

}  // namespace statelab::harness
