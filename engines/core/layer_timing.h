#pragma once
// Per-layer commit timing: where the time of a commit goes (snapshot, validate, WAL encode, WAL
// append, sync, apply). A build option (cmake -DSTATELAB_LAYER_TIMING=ON defines
// STATELAB_LAYER_TIMING=1); off by default, and then every probe compiles to nothing.
//
//   STATELAB_LAYER_PROBE(kValidate);   // times the rest of the enclosing scope
//
// Probe points (docs/harness.md, "Per-layer timing"): kSnapshot around AcquireSnapshot in
// RunTransaction; kValidate around ValidateReads + MaterializeWrites and kApply around
// ApplyWrites in each engine's Commit; kEncode around wal::EncodeCommit and kAppend around the
// queueing in CommitLog::Append; kSync around WritableFile::Sync in the commit log.
// When on, each thread adds to its own slot (no shared write on the commit path); Totals() sums
// the slots, and the bench binary reports per-op deltas in a result's extra{}.
// Thread-safety: probes are thread-safe; Totals() may run concurrently with probes.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace statelab::layer_timing {

enum Layer : int { kSnapshot = 0, kValidate, kEncode, kAppend, kSync, kApply, kNumLayers };
inline constexpr std::array<std::string_view, kNumLayers> kLayerNames = {
    "snapshot", "validate", "encode", "append", "sync", "apply"};

struct Totals {
  std::array<uint64_t, kNumLayers> ns{};
  std::array<uint64_t, kNumLayers> count{};
};

// The two variants live in different inline namespaces, so a translation unit built with the
// option (a test of this header) links with others built without it without an ODR clash.
#ifdef STATELAB_LAYER_TIMING
inline namespace timing_on {
inline constexpr bool kEnabled = true;

namespace internal {
struct alignas(64) Slot {
  std::array<std::atomic<uint64_t>, kNumLayers> ns{};
  std::array<std::atomic<uint64_t>, kNumLayers> count{};
};
inline constexpr int kSlots = 256;
inline Slot g_slots[kSlots + 1];  // the last one is shared by threads beyond kSlots
inline std::atomic<int> g_next{0};

inline Slot& MySlot() noexcept {
  thread_local Slot* slot = [] {
    const int i = g_next.fetch_add(1, std::memory_order_relaxed);
    return &g_slots[i < kSlots ? i : kSlots];
  }();
  return *slot;
}
inline void Add(Layer l, uint64_t ns) noexcept {
  Slot& s = MySlot();
  if (&s == &g_slots[kSlots]) {
    s.ns[l].fetch_add(ns, std::memory_order_relaxed);
    s.count[l].fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // Single writer per slot: a load and a store, no read-modify-write.
  s.ns[l].store(s.ns[l].load(std::memory_order_relaxed) + ns, std::memory_order_relaxed);
  s.count[l].store(s.count[l].load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}
}  // namespace internal

class Probe {
 public:
  explicit Probe(Layer l) noexcept : l_(l), t0_(std::chrono::steady_clock::now()) {}
  ~Probe() {
    const auto d = std::chrono::steady_clock::now() - t0_;
    internal::Add(
        l_, static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()));
  }
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

 private:
  Layer l_;
  std::chrono::steady_clock::time_point t0_;
};

inline Totals Snapshot() noexcept {
  Totals t;
  for (const internal::Slot& s : internal::g_slots) {
    for (int l = 0; l < kNumLayers; ++l) {
      t.ns[l] += s.ns[l].load(std::memory_order_relaxed);
      t.count[l] += s.count[l].load(std::memory_order_relaxed);
    }
  }
  return t;
}

}  // namespace timing_on

#define STATELAB_LAYER_PROBE_CAT2(a, b) a##b
#define STATELAB_LAYER_PROBE_CAT(a, b) STATELAB_LAYER_PROBE_CAT2(a, b)
#define STATELAB_LAYER_PROBE(layer)                         \
  ::statelab::layer_timing::Probe STATELAB_LAYER_PROBE_CAT( \
      layer_probe_, __LINE__)(::statelab::layer_timing::layer)
#else
inline namespace timing_off {
inline constexpr bool kEnabled = false;
inline Totals Snapshot() noexcept { return {}; }
}  // namespace timing_off
#define STATELAB_LAYER_PROBE(layer) static_assert(true)
#endif

}  // namespace statelab::layer_timing
