#pragma once
// The transaction driver shared by every engine: run fn on a snapshot where the run lives,
// commit, retry conflicts with jittered exponential backoff (at most opts.retry.max_retries
// times; giving up returns Status::ConflictGaveUp with the attempts and the time spent, and both
// are counted in the engine's TxnCounters), then wait for durability outside the partition. Also
// the read-only variant used by fast-path reads (no read set, never aborts). Both refuse a call on
// a run from inside a transaction function of that same run (InTransactionScope).
// Thread-safety: thread-safe; TxnState objects come from a per-thread pool.

#include <chrono>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "engines/api/engine.h"
#include "engines/core/transaction.h"

namespace statelab {

namespace internal {
// Per-thread pool so a transaction reuses buffers (no allocation after warm-up). A stack, so a
// thread may hold several transactions at once.
class TxnStatePool {
 public:
  static TxnState& Acquire() {
    auto& p = Get();
    if (p.free.empty()) p.free.push_back(std::make_unique<TxnState>());
    p.used.push_back(std::move(p.free.back()));
    p.free.pop_back();
    return *p.used.back();
  }
  static void Release(TxnState& st) noexcept {
    auto& p = Get();
    for (size_t i = p.used.size(); i-- > 0;) {
      if (p.used[i].get() == &st) {
        p.free.push_back(std::move(p.used[i]));
        p.used.erase(p.used.begin() + static_cast<std::ptrdiff_t>(i));
        return;
      }
    }
  }

 private:
  struct Pools {
    std::vector<std::unique_ptr<TxnState>> free, used;
  };
  static Pools& Get() {
    thread_local Pools pools;
    return pools;
  }
};
// Marks "this thread is inside a transaction function of (engine, run)" while it lives. A facade
// call (fast-path read or one-operation write) on that same run from inside the function would
// take its own snapshot and skip the transaction's read set (lost updates, write skew), so
// CommitTransaction and RunRead refuse it (Misuse). Only the innermost scope is
// checked: a shared_nothing token holder may run other callers' functions nested in its own, and
// those may legitimately address the holder's run. No allocation; the check is one thread-local
// load when no transaction is open. Thread-safety: thread-local state.
class InTransactionScope {
 public:
  InTransactionScope(const void* engine, const RunId& run) noexcept
      : engine_(engine), run_(run), outer_(current_) {
    current_ = this;
  }
  ~InTransactionScope() { current_ = outer_; }
  InTransactionScope(const InTransactionScope&) = delete;
  InTransactionScope& operator=(const InTransactionScope&) = delete;

  // Whether the calling thread is inside a transaction function of (engine, run).
  static bool Inside(const void* engine, const RunId& run) noexcept {
    const InTransactionScope* s = current_;
    return s != nullptr && s->engine_ == engine && s->run_ == run;
  }
  // The error a refused call returns (InvalidArgument naming the run and the fix).
  [[gnu::cold, gnu::noinline]] static Status Misuse(const RunId& run) {
    return Status::InvalidArgument(
        "facade call on run " + run.ToString() +
        " from inside a transaction function of the same run: use the transaction handle "
        "(h.kv(), h.events(), ...) instead; a facade call would take its own snapshot and "
        "bypass the transaction's read set");
  }

 private:
  const void* engine_;
  const RunId& run_;
  const InTransactionScope* outer_;
  static inline constinit thread_local const InTransactionScope* current_ = nullptr;
};
}  // namespace internal

// RunTransaction without the durability wait: returns the commit's ticket as soon as it is
// installed (visible), so a caller that acknowledges many commits at once (a server answering a
// pipelined batch) waits once, with engine.WaitDurable, before it acknowledges any of them.
template <Engine E, class F>
Result<CommitTicket> CommitTransaction(E& engine, const RunId& run, F&& fn,
                                       const TxnOptions& opts) {
  using P = typename E::Partition;
  if (internal::InTransactionScope::Inside(&engine, run)) [[unlikely]] {
    return internal::InTransactionScope::Misuse(run);
  }
  if (opts.durability == DurabilityOverride::kStrict &&
      engine.mode() == DurabilityMode::kInMemory) {
    return Status::InvalidArgument(
        "options.durability: strict override is not available in inmemory mode");
  }
  const auto start = std::chrono::steady_clock::now();
  auto expired = [&] {
    return opts.timeout.count() > 0 && std::chrono::steady_clock::now() - start > opts.timeout;
  };
  auto backoff = opts.retry.initial_backoff;
  for (uint32_t attempt = 0;; ++attempt) {
    CommitTicket ticket;
    Status s = engine.Execute(run, [&](P& p) -> Status {
      TxnState& st = internal::TxnStatePool::Acquire();
      st.record_reads = true;
      st.Reset(run, p.AcquireSnapshot(), kNowUnread);
      Txn<P> txn(p, st);
      Status r;
      {
        const internal::InTransactionScope scope(&engine, run);
        r = fn(txn);
      }
      if (r.ok() && expired()) r = Status::Conflict();
      if (r.ok()) {
        (void)ResolveNow(st.now_us);  // the WAL record carries the attempt's time
        Result<CommitTicket> c = p.Commit(st);
        if (c.ok()) {
          ticket = *c;
        } else {
          r = std::move(c).error();
        }
      }
      p.ReleaseSnapshot();
      internal::TxnStatePool::Release(st);
      return r;
    });
    if (s.ok()) return ticket;
    if (!s.IsConflict()) return s;
    if (attempt >= opts.retry.max_retries || expired()) {
      engine.txn_counters().gave_up.fetch_add(1, std::memory_order_relaxed);
      const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - start);
      return Status::ConflictGaveUp(uint64_t{attempt} + 1, static_cast<uint64_t>(elapsed.count()));
    }
    engine.txn_counters().retries.fetch_add(1, std::memory_order_relaxed);
    thread_local std::minstd_rand jitter{std::random_device{}()};
    const auto us = backoff.count() > 0 ? backoff.count() / 2 + jitter() % backoff.count() : 0;
    if (us > 0) std::this_thread::sleep_for(std::chrono::microseconds(us));
    backoff = std::min(backoff * 2, opts.retry.max_backoff);
  }
}

// fn: Status(Txn<P>&). Returns the commit version (the snapshot version for read-only ones) once
// the commit is as durable as the mode (or opts.durability) promises.
template <Engine E, class F>
Result<Version> RunTransaction(E& engine, const RunId& run, F&& fn, const TxnOptions& opts) {
  STATELAB_ASSIGN_OR_RETURN(const CommitTicket ticket,
                            CommitTransaction(engine, run, std::forward<F>(fn), opts));
  STATELAB_RETURN_IF_ERROR(
      engine.WaitDurable(ticket, opts.durability == DurabilityOverride::kStrict));
  return ticket.version;
}

// A read-only transaction: one snapshot, no read set, never aborts. fn: Status(Txn<P>&).
// The fast-path reads' driver: it does not mark the thread as inside a transaction (that store
// would cost every read); Database::Read, whose fn is user code, does (InTransactionScope).
template <Engine E, class F>
Status RunRead(E& engine, const RunId& run, F&& fn) {
  using P = typename E::Partition;
  if (internal::InTransactionScope::Inside(&engine, run)) [[unlikely]] {
    return internal::InTransactionScope::Misuse(run);
  }
  return engine.Execute(run, [&](P& p) -> Status {
    TxnState st;  // empty containers: constructing and destroying them does not allocate
    st.record_reads = false;
    st.Reset(run, p.AcquireSnapshot(), kNowUnread);
    Txn<P> txn(p, st);
    Status r = fn(txn);
    p.ReleaseSnapshot();
    return r;
  });
}

}  // namespace statelab
