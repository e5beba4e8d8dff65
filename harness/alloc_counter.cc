#include "harness/alloc_counter.h"

#include <atomic>
#include <new>

namespace statelab::harness {
namespace {

// One slot per live thread, on its own cache line. Only the owning thread writes its counters, so
// each update is a relaxed load + store (no locked read-modify-write); they are atomics only so
// that ProcessAllocs() on another thread reads them without a data race.
struct alignas(64) Slot {
  std::atomic<bool> in_use{false};
  std::atomic<uint64_t> allocs{0};
  std::atomic<uint64_t> frees{0};
  std::atomic<uint64_t> bytes{0};
};

// Constant-initialized: usable by allocations that happen before main and during static init.
constinit Slot g_slots[kAllocCounterSlots];

// Totals of exited threads, plus allocations of threads that found no free slot or that allocate
// after their slot was retired (thread_local destructors running late).
struct alignas(64) Shared {
  std::atomic<uint64_t> allocs{0};
  std::atomic<uint64_t> frees{0};
  std::atomic<uint64_t> bytes{0};
};
constinit Shared g_retired;

// Serializes retiring a slot against ProcessAllocs(), so a thread's counts are never seen twice
// (in its slot and in g_retired) or not at all. A spin lock: std::mutex is fine too, but this one
// is trivially usable from inside operator new during static init.
constinit std::atomic_flag g_retire_lock = ATOMIC_FLAG_INIT;
constinit std::atomic<bool> g_hooks_installed{false};

void Lock() {
  while (g_retire_lock.test_and_set(std::memory_order_acquire)) {
  }
}
void Unlock() { g_retire_lock.clear(std::memory_order_release); }

enum class SlotState : uint8_t { kNone, kOwned, kNoSlot, kRetired };

// Trivially destructible thread_locals: reading them registers nothing.
thread_local Slot* tls_slot = nullptr;
thread_local SlotState tls_state = SlotState::kNone;

// Folds the slot into g_retired when the thread exits so its counts outlive it, then frees it.
struct SlotReleaser {
  ~SlotReleaser() {
    Slot* s = tls_slot;
    if (s == nullptr) return;
    Lock();
    g_retired.allocs.fetch_add(s->allocs.load(std::memory_order_relaxed),
                               std::memory_order_relaxed);
    g_retired.frees.fetch_add(s->frees.load(std::memory_order_relaxed), std::memory_order_relaxed);
    g_retired.bytes.fetch_add(s->bytes.load(std::memory_order_relaxed), std::memory_order_relaxed);
    s->allocs.store(0, std::memory_order_relaxed);
    s->frees.store(0, std::memory_order_relaxed);
    s->bytes.store(0, std::memory_order_relaxed);
    tls_slot = nullptr;
    tls_state = SlotState::kRetired;
    s->in_use.store(false, std::memory_order_release);
    Unlock();
  }
};

Slot* ClaimSlot() {
  if (tls_state != SlotState::kNone) return nullptr;  // No slot, or already retired.
  for (Slot& s : g_slots) {
    bool expected = false;
    if (!s.in_use.load(std::memory_order_relaxed) &&
        s.in_use.compare_exchange_strong(expected, true, std::memory_order_acquire)) {
      tls_slot = &s;
      tls_state = SlotState::kOwned;
      // First use of this thread_local registers its destructor (glibc uses calloc for that, not
      // operator new, so there is no recursion into the hooks).
      thread_local SlotReleaser releaser;
      (void)releaser;
      return &s;
    }
  }
  tls_state = SlotState::kNoSlot;
  return nullptr;
}

inline void Bump(std::atomic<uint64_t>& c, uint64_t n) {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

AllocCounts Read(const Slot& s) {
  return {s.allocs.load(std::memory_order_relaxed), s.frees.load(std::memory_order_relaxed),
          s.bytes.load(std::memory_order_relaxed)};
}

}  // namespace

namespace internal {

void CountAlloc(std::size_t bytes) noexcept {
  Slot* s = tls_slot;
  if (s == nullptr) s = ClaimSlot();
  if (s != nullptr) {
    Bump(s->allocs, 1);
    Bump(s->bytes, bytes);
  } else {
    g_retired.allocs.fetch_add(1, std::memory_order_relaxed);
    g_retired.bytes.fetch_add(bytes, std::memory_order_relaxed);
  }
}

void CountFree() noexcept {
  Slot* s = tls_slot;
  if (s == nullptr) s = ClaimSlot();
  if (s != nullptr) {
    Bump(s->frees, 1);
  } else {
    g_retired.frees.fetch_add(1, std::memory_order_relaxed);
  }
}

void MarkHooksInstalled() noexcept { g_hooks_installed.store(true, std::memory_order_release); }

}  // namespace internal

bool AllocCountingEnabled() { return g_hooks_installed.load(std::memory_order_acquire); }

AllocCounts ThreadAllocs() {
  const Slot* s = tls_slot;
  return s == nullptr ? AllocCounts{} : Read(*s);
}

AllocCounts ProcessAllocs() {
  Lock();
  AllocCounts total{g_retired.allocs.load(std::memory_order_relaxed),
                    g_retired.frees.load(std::memory_order_relaxed),
                    g_retired.bytes.load(std::memory_order_relaxed)};
  for (const Slot& s : g_slots) {
    if (s.in_use.load(std::memory_order_acquire)) total += Read(s);
  }
  Unlock();
  return total;
}

std::optional<double> AllocsPerOp(const AllocCounts& delta, uint64_t ops) {
  if (!AllocCountingEnabled() || ops == 0) return std::nullopt;
  return static_cast<double>(delta.allocs) / static_cast<double>(ops);
}

std::optional<double> BytesAllocatedPerOp(const AllocCounts& delta, uint64_t ops) {
  if (!AllocCountingEnabled() || ops == 0) return std::nullopt;
  return static_cast<double>(delta.bytes_allocated) / static_cast<double>(ops);
}

}  // namespace statelab::harness
