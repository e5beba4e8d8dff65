#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace statelab::harness {

// Heap activity counted by the replacement operator new/delete in harness/alloc_hooks.cc.
// Only binaries that link the `statelab_alloc_hooks` object library count anything; everywhere
// else AllocCountingEnabled() is false and per-op figures are std::nullopt (never a made-up 0).
struct AllocCounts {
  uint64_t allocs = 0;           // successful operator new calls (every form).
  uint64_t frees = 0;            // operator delete calls on non-null pointers.
  uint64_t bytes_allocated = 0;  // bytes requested from operator new.

  AllocCounts& operator+=(const AllocCounts& o) {
    allocs += o.allocs;
    frees += o.frees;
    bytes_allocated += o.bytes_allocated;
    return *this;
  }
  friend AllocCounts operator-(AllocCounts a, const AllocCounts& b) {
    a.allocs -= b.allocs;
    a.frees -= b.frees;
    a.bytes_allocated -= b.bytes_allocated;
    return a;
  }
  bool operator==(const AllocCounts&) const = default;
};

// True when the counting operators are linked into this binary. Thread-safe.
bool AllocCountingEnabled();

// Totals of the calling thread since it first allocated. Cheap (no lock, no syscall); take one
// before and one after a phase on the same thread and subtract. Thread-safe (reads own slot).
// A thread that found all kAllocCounterSlots slots taken reads zeros here (its allocations still
// reach ProcessAllocs()), so per-thread figures need fewer than that many live threads.
AllocCounts ThreadAllocs();

// Totals of the whole process: every live thread's slot plus everything counted by threads that
// have exited. Consistent when the measured threads have been joined. Thread-safe.
AllocCounts ProcessAllocs();

// Per-operation figures from a delta; std::nullopt when counting is not linked in or ops == 0.
std::optional<double> AllocsPerOp(const AllocCounts& delta, uint64_t ops);
std::optional<double> BytesAllocatedPerOp(const AllocCounts& delta, uint64_t ops);

// Number of per-thread slots; threads beyond this many alive at once share a slower atomic
// fallback (still exact).
inline constexpr int kAllocCounterSlots = 256;

namespace internal {
// Called only by alloc_hooks.cc. They must not allocate.
void CountAlloc(std::size_t bytes) noexcept;
void CountFree() noexcept;
void MarkHooksInstalled() noexcept;
}  // namespace internal

}  // namespace statelab::harness
