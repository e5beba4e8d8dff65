#pragma once
// Tracks the oldest snapshot in use so old versions can be reclaimed. Acquisition is O(1), does
// not allocate and takes no lock: one CAS on a cache-line-padded slot picked per thread.
// Thread-safety: all methods are thread-safe.

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>

#include "engines/api/types.h"

namespace statelab {

class SnapshotRegistry {
 public:
  // Returns the snapshot version to read at. `visible` is the engine's published commit number.
  Version Acquire(const std::atomic<Version>& visible) noexcept {
    Slot& s = slots_[ThreadSlot()];
    Version v = visible.load(std::memory_order_seq_cst);
    uint64_t old = s.word.load(std::memory_order_relaxed);
    for (;;) {
      if ((old & kCountMask) == kCountMask) {
        // The count is full. The slot is busy at a minimum <= v already (versions only grow), so
        // this snapshot is covered; count it apart so the count field never wraps into the minimum.
        s.overflow.fetch_add(1, std::memory_order_seq_cst);
        break;
      }
      uint64_t min = std::min<uint64_t>(old >> kCountBits, v);
      uint64_t next = (min << kCountBits) | ((old & kCountMask) + 1);
      if (s.word.compare_exchange_weak(old, next, std::memory_order_seq_cst)) break;
    }
    // A horizon computed before our slot store read `visible` earlier than this load, so reading
    // at this (later) version is safe; one that runs after sees our slot.
    return visible.load(std::memory_order_seq_cst);
  }

  void Release() noexcept {
    Slot& s = slots_[ThreadSlot()];
    // Overflowed snapshots are released first, so the count stays full (non-zero) while any is
    // held.
    uint64_t extra = s.overflow.load(std::memory_order_relaxed);
    while (extra > 0) {
      if (s.overflow.compare_exchange_weak(extra, extra - 1, std::memory_order_seq_cst)) return;
    }
    uint64_t old = s.word.load(std::memory_order_relaxed);
    for (;;) {
      uint64_t count = (old & kCountMask) - 1;
      uint64_t next = count == 0 ? kIdle : ((old & ~kCountMask) | count);
      if (s.word.compare_exchange_weak(old, next, std::memory_order_seq_cst)) break;
    }
  }

  // Every snapshot in use reads at a version >= the returned horizon.
  Version Horizon(const std::atomic<Version>& visible) const noexcept {
    Version h = visible.load(std::memory_order_seq_cst);
    for (const Slot& s : slots_) {
      uint64_t w = s.word.load(std::memory_order_seq_cst);
      if ((w & kCountMask) != 0) h = std::min<Version>(h, w >> kCountBits);
    }
    return h;
  }

  size_t ActiveSnapshots() const noexcept {
    size_t n = 0;
    for (const Slot& s : slots_) {
      n += (s.word.load(std::memory_order_relaxed) & kCountMask) +
           s.overflow.load(std::memory_order_relaxed);
    }
    return n;
  }

 private:
  static constexpr int kSlots = 64;
  static constexpr int kCountBits = 16;
  static constexpr uint64_t kCountMask = (1ull << kCountBits) - 1;
  static constexpr uint64_t kIdle = ~0ull & ~kCountMask;  // min = max, count = 0

  struct alignas(64) Slot {
    std::atomic<uint64_t> word{kIdle};
    std::atomic<uint64_t> overflow{0};  // snapshots held beyond a full count (rare)
  };

  static size_t ThreadSlot() noexcept {
    static std::atomic<size_t> next{0};
    thread_local size_t slot = next.fetch_add(1, std::memory_order_relaxed) % kSlots;
    return slot;
  }

  std::array<Slot, kSlots> slots_;
};

// RAII for a registered snapshot.
class SnapshotGuard {
 public:
  SnapshotGuard(SnapshotRegistry& r, const std::atomic<Version>& visible) noexcept
      : r_(&r), version_(r.Acquire(visible)) {}
  SnapshotGuard(const SnapshotGuard&) = delete;
  SnapshotGuard& operator=(const SnapshotGuard&) = delete;
  ~SnapshotGuard() { r_->Release(); }
  Version version() const noexcept { return version_; }

 private:
  SnapshotRegistry* r_;
  Version version_;
};

}  // namespace statelab
