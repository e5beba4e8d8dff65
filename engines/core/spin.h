#pragma once
// Bounded busy-waiting for hand-offs shorter than a futex sleep and wake-up (a few microseconds):
// the shared-nothing mailbox's token and completion waits, the write-ahead log's followers.
// Thread-safety: stateless; safe from any thread.

#include <chrono>
#include <cstdint>

namespace statelab {

inline void CpuRelax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Polls ready() with a pause between polls for up to `budget`; true as soon as it holds. No
// yielding: on an oversubscribed machine a yielding thread waits out other threads' time slices,
// while a thread woken from a futex wait is scheduled promptly, so past the budget callers sleep.
template <class Pred>
bool SpinUntil(Pred&& ready, std::chrono::nanoseconds budget) noexcept {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  for (uint32_t i = 1;; ++i) {
    if (ready()) return true;
    CpuRelax();
    if (i % 32 == 0 && std::chrono::steady_clock::now() > deadline) return false;
  }
}

}  // namespace statelab
