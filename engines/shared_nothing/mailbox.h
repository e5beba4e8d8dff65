#pragma once
// The mailbox of one shared-nothing worker: an intrusive multi-producer single-consumer queue
// (D. Vyukov's) whose nodes live on the senders' stacks, and the senders' completion waits. No
// allocation and no mutex anywhere: a send is one atomic exchange, a receive is plain loads,
// sleeping is std::atomic::wait / notify. Each sender has one message in flight and waits for it,
// so the node's lifetime is the send; why one queue per worker rather than one ring per (sender,
// worker) pair: docs/engines.md.
// The consumer is whoever holds the token (TryAcquire / Release): the engine's callers take turns
// (delegation). A dedicated consumer thread uses Send / Await / Park / Wake instead (the raw
// mailbox round trip the harness measures, bench/raw_structures.h).
// Thread-safety: Admit, Leave, Send, Post, Queue, Await, WaitDoneOrFree, WaitDoneOrRelease,
// TryAcquire, Wake and in_flight from any thread; Receive, Empty, Park, Complete and Release from
// the consumer (the token holder) only.

#include <atomic>
#include <chrono>
#include <cstdint>

#include <sched.h>

#include "engines/core/spin.h"

namespace statelab {

struct MailboxNode {
  std::atomic<MailboxNode*> next{nullptr};
  std::atomic<uint32_t> done{0};
};

class Mailbox {
 public:
  Mailbox() noexcept = default;
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  // Counts a caller in unless `closed` is given and set (then returns false). Once `closed` is set
  // and in_flight() has read 0, no admitted caller is left and none will come.
  bool Admit(const std::atomic<bool>* closed) noexcept {
    in_flight_.fetch_add(1, std::memory_order_seq_cst);
    if (closed != nullptr && closed->load(std::memory_order_seq_cst)) {
      Leave();
      return false;
    }
    return true;
  }
  void Leave() noexcept { in_flight_.fetch_sub(1, std::memory_order_release); }
  // Admit, then Post.
  bool Send(MailboxNode* n, const std::atomic<bool>* closed) noexcept {
    if (!Admit(closed)) return false;
    Post(n);
    return true;
  }
  // Queues n and wakes the worker thread when it sleeps.
  void Post(MailboxNode* n) noexcept {
    Queue(n);
    Wake();
  }
  // Queues n without waking anyone (delegation: senders take the token themselves).
  void Queue(MailboxNode* n) noexcept { Push(n); }
  // Blocks until the consumer has completed n (spins briefly, then sleeps), then Leave.
  void Await(MailboxNode* n) noexcept {
    Wait([n] { return n->done.load(std::memory_order_seq_cst) != 0; });
    Leave();
  }
  // Delegation: blocks until n is completed or the token is free. Spins only while the holder
  // may be running: a holder last seen on this CPU is preempted (by us), so we sleep at once, and
  // past a short budget it is probably preempted too.
  void WaitDoneOrFree(MailboxNode* n) noexcept {
    auto ready = [&] {
      return n->done.load(std::memory_order_seq_cst) != 0 ||
             owner_.load(std::memory_order_seq_cst) == 0;
    };
    if (holder_cpu_.load(std::memory_order_relaxed) == sched_getcpu() ||
        !SpinUntil(ready, kTokenSpin)) {
      Sleep(ready);
    }
  }
  // Delegation: blocks until n is completed or the token changed hands at least once.
  void WaitDoneOrRelease(MailboxNode* n) noexcept {
    const uint32_t releases = releases_.load(std::memory_order_seq_cst);
    Wait([&] {
      return n->done.load(std::memory_order_seq_cst) != 0 ||
             releases_.load(std::memory_order_seq_cst) != releases;
    });
  }
  // Takes the consumer token when nobody holds it.
  bool TryAcquire() noexcept {
    if (owner_.load(std::memory_order_relaxed) != 0 ||
        owner_.exchange(1, std::memory_order_seq_cst) != 0) {
      return false;
    }
    holder_cpu_.store(sched_getcpu(), std::memory_order_relaxed);
    return true;
  }
  void Release() noexcept {
    releases_.fetch_add(1, std::memory_order_seq_cst);
    owner_.store(0, std::memory_order_seq_cst);
    Notify();
  }
  // Messages sent and not yet awaited.
  uint64_t in_flight() const noexcept { return in_flight_.load(std::memory_order_seq_cst); }

  // Consumer: the oldest message, or null when there is none (or a send is half done, which
  // Empty() reports as not empty).
  MailboxNode* Receive() noexcept {
    MailboxNode* tail = tail_;
    MailboxNode* next = tail->next.load(std::memory_order_acquire);
    if (tail == &stub_) {
      if (next == nullptr) return nullptr;
      tail_ = tail = next;
      next = next->next.load(std::memory_order_acquire);
    }
    if (next != nullptr) {
      tail_ = next;
      return tail;
    }
    if (tail != head_.load(std::memory_order_acquire)) return nullptr;
    Push(&stub_);  // tail is the last node: put the stub behind it so it can be taken
    next = tail->next.load(std::memory_order_acquire);
    if (next == nullptr) return nullptr;
    tail_ = next;
    return tail;
  }
  bool Empty() const noexcept {
    const MailboxNode* tail = tail_;
    return tail->next.load(std::memory_order_seq_cst) == nullptr &&
           head_.load(std::memory_order_seq_cst) == tail;
  }
  // Marks n completed: the last access to n (its sender may return and reuse the memory at
  // once), then wakes sleeping senders, if any.
  void Complete(MailboxNode* n) noexcept {
    n->done.store(1, std::memory_order_seq_cst);
    Notify();
  }
  // Consumer: returns when a message may be waiting or `stop` is set; spins briefly, then sleeps.
  void Park(const std::atomic<bool>& stop) noexcept {
    if (SpinUntil([&] { return !Empty() || stop.load(std::memory_order_acquire); }, kSpin)) {
      return;
    }
    parked_.store(1, std::memory_order_seq_cst);
    // A sender pushes before it reads parked_: it sees 1, or we see its message here.
    if (Empty() && !stop.load(std::memory_order_seq_cst)) {
      parked_.wait(1, std::memory_order_seq_cst);
    }
    parked_.store(0, std::memory_order_relaxed);
  }
  // Wakes a parked consumer (after a push, or after setting its stop flag).
  void Wake() noexcept {
    if (parked_.load(std::memory_order_seq_cst) != 0 &&
        parked_.exchange(0, std::memory_order_seq_cst) != 0) {
      parked_.notify_one();
    }
  }

 private:
  // How long either side polls before it sleeps: longer than a typical operation and than a
  // caller's gap between operations, so a busy worker and its callers never pay a futex wake-up.
  static constexpr std::chrono::nanoseconds kSpin{20'000};
  // How long a sender polls a held token: a few operations' worth.
  static constexpr std::chrono::nanoseconds kTokenSpin{4'000};

  // Spins on ready() for a while, then sleeps until it holds.
  template <class Pred>
  void Wait(Pred&& ready) noexcept {
    if (!SpinUntil(ready, kSpin)) Sleep(ready);
  }
  // Sleeps on the epoch until ready() holds. Every state change a waiter waits for (Complete,
  // Release) is stored before Notify reads sleepers_: it sees us, or we see the change.
  template <class Pred>
  void Sleep(Pred&& ready) noexcept {
    while (!ready()) {
      const uint32_t epoch = epoch_.load(std::memory_order_seq_cst);
      sleepers_.fetch_add(1, std::memory_order_seq_cst);
      if (!ready()) epoch_.wait(epoch, std::memory_order_seq_cst);
      sleepers_.fetch_sub(1, std::memory_order_relaxed);
    }
  }
  void Notify() noexcept {
    if (sleepers_.load(std::memory_order_seq_cst) != 0) {
      epoch_.fetch_add(1, std::memory_order_seq_cst);
      epoch_.notify_all();
    }
  }

  void Push(MailboxNode* n) noexcept {
    n->next.store(nullptr, std::memory_order_relaxed);
    MailboxNode* prev = head_.exchange(n, std::memory_order_seq_cst);
    prev->next.store(n, std::memory_order_seq_cst);
  }

  // Written by senders.
  alignas(64) std::atomic<MailboxNode*> head_{&stub_};
  std::atomic<uint32_t> parked_{0};
  std::atomic<uint64_t> in_flight_{0};
  // The consumer token (delegation) and how often it was released.
  alignas(64) std::atomic<uint32_t> owner_{0};
  std::atomic<uint32_t> releases_{0};
  std::atomic<int> holder_cpu_{-1};  // where the token was last taken
  // Consumer side.
  alignas(64) MailboxNode* tail_ = &stub_;
  MailboxNode stub_;
  // Senders sleeping in Await, and the counter they sleep on.
  alignas(64) std::atomic<uint32_t> sleepers_{0};
  std::atomic<uint32_t> epoch_{0};
};

}  // namespace statelab
