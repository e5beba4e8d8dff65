#pragma once
// The reader-writer lock of a partition (btree, a sharded shard), writer-preferring: a writer
// announces itself before it waits, and from then on new readers hold back until it is done, so
// readers in tight loops cannot starve commits. Waiting spins briefly, then yields the CPU rather
// than sleeping: both critical sections are short (one lookup; one commit's install), and when
// there are more threads than cores a yielding waiter hands its core to the thread it waits for,
// where a sleeping one adds a wake-up per hand-off. std::shared_mutex (glibc's rwlock prefers
// readers) and absl::Mutex (blocks) were measured first: docs/engines.md, "Writers under readers".
// Not recursive: a thread holding it shared must not take it again (a waiting writer would wait
// for that thread while that thread waits for the writer). Writers overlapping without a gap
// could hold readers back; a commit does most of its work outside the lock, so they do not.
// Thread-safety: thread-safe; usable with std::shared_lock and std::unique_lock.

#include <atomic>
#include <cstdint>
#include <thread>

namespace statelab {

class RwLock {
 public:
  void lock_shared() noexcept {
    for (uint32_t tries = 0;; ++tries) {
      uint32_t s = state_.load(std::memory_order_relaxed);
      if ((s & ~kReaders) == 0 &&
          state_.compare_exchange_weak(s, s + 1, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
        return;
      }
      Wait(tries);
    }
  }
  void unlock_shared() noexcept { state_.fetch_sub(1, std::memory_order_release); }

  void lock() noexcept {
    state_.fetch_add(kWaiting, std::memory_order_relaxed);  // new readers hold back from here
    for (uint32_t tries = 0;; ++tries) {
      uint32_t s = state_.load(std::memory_order_relaxed);
      if ((s & (kHeld | kReaders)) == 0 &&
          state_.compare_exchange_weak(s, s - kWaiting + kHeld, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
        return;
      }
      Wait(tries);
    }
  }
  void unlock() noexcept { state_.fetch_sub(kHeld, std::memory_order_release); }

 private:
  static constexpr uint32_t kReaders = (1u << 16) - 1;  // readers holding it
  static constexpr uint32_t kHeld = 1u << 16;           // a writer holds it
  static constexpr uint32_t kWaiting = 1u << 17;        // writers waiting: a count in bits 17..31
  static constexpr uint32_t kSpins = 32;                // pauses before yielding

  static void Wait(uint32_t tries) noexcept {
    if (tries < kSpins) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
      return;
    }
    std::this_thread::yield();
  }

  std::atomic<uint32_t> state_{0};
};

}  // namespace statelab
