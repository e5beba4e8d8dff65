#pragma once
// The shared-nothing engine: N workers, each the only owner of the runs hashed to it and of their
// data (a hash table of version chains with an ordered index, no lock). Ownership is a token per
// worker, held by one thread at a time (delegation): a caller that finds it free runs its operation
// itself, on its own thread, with no hop; a caller that finds it held queues a message in the
// worker's lock-free mailbox, and whoever holds the token runs the queued messages before letting
// go. A transaction runs to completion under the token, so transactions of one run never interleave
// and need no validation. Versions come from one atomic counter. Durable modes: one WAL root per
// worker (`<dir>/worker-<i>`) with its own group commit; the holder only appends, the caller
// waits for durability after the operation returns. Why delegation rather than an owner thread
// per worker (measured) and the synchronisation points: docs/engines.md.
// Thread-safety: all public methods are thread-safe; Close must not be called from inside an
// operation.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "engines/api/engine.h"
#include "engines/api/key.h"
#include "engines/core/chain_reads.h"
#include "engines/core/chain_table.h"
#include "engines/core/slab_arena.h"
#include "engines/core/txn_state.h"
#include "engines/core/version_chain.h"
#include "engines/durability/durable_state.h"
#include "engines/shared_nothing/mailbox.h"

namespace statelab {

class SharedNothingEngine;

// A worker's private store, the shared-nothing engine's Partition.
// Thread-safety: none needed: only the holder of its worker's token touches it.
class WorkerStore {
 public:
  // A snapshot is the global counter: every commit of this store below it is complete (commits
  // of this store run one at a time, under its token).
  Version AcquireSnapshot() noexcept {
    const Version v = clock_->load(std::memory_order_acquire);
    if (open_snapshots_++ == 0) oldest_snapshot_ = v;
    return v;
  }
  void ReleaseSnapshot() noexcept { --open_snapshots_; }
  template <class F>
  Status View(Version snap, std::string_view key, TimestampUs& now, F&& fn, Version* ver) noexcept {
    return ViewVisible(Find(key), snap, now, fn, ver);
  }
  template <class F>
  Status Scan(Version snap, std::string_view prefix, TimestampUs& now, F&& fn) {
    ScanVisible(chains_.index(), prefix, snap, now, fn);
    return Status::OK();
  }
  Result<CommitTicket> Commit(TxnState& t);

 private:
  friend class SharedNothingEngine;
  const VersionChain* Find(std::string_view key) const noexcept { return chains_.Find(key); }
  void Install(Version v, TxnState& t, Version horizon);
  // Snapshots open on this store (a transaction, a nested one, a pinned dump) or none.
  Version Horizon() const noexcept {
    return open_snapshots_ != 0 ? oldest_snapshot_ : clock_->load(std::memory_order_acquire);
  }
  void AddStats(EngineStats* s) const;

  std::atomic<Version>* clock_ = nullptr;  // the engine's version counter
  uint32_t worker_ = 0;
  DurableState* durable_ = nullptr;  // null in kInMemory
  // Nodes come from the store's arena (one malloc per slab, not per node); declared first, so
  // destroyed after chains_. A hash table with an ordered index rather than one ordered map: a
  // point read is one hash lookup, not a descent through 100,000 keys (docs/engines.md).
  SlabArena arena_;
  ChainTable chains_{&arena_};
  uint32_t open_snapshots_ = 0;
  Version oldest_snapshot_ = 0;  // of the snapshots open since open_snapshots_ left 0
  Version last_commit_ = 0;
  bool search_index_ = true;  // DbOptions::search_index
  uint64_t commits_ = 0;
  uint64_t conflicts_ = 0;
};

class SharedNothingEngine {
 public:
  static constexpr std::string_view kName = "shared_nothing";
  using Partition = WorkerStore;
  static constexpr uint32_t kMaxWorkers = 1024;

  // opts.partitions workers; 0 = 4 per hardware thread (why: WorkerCount in the .cc). A durable
  // directory keeps the worker count it was created with (each run's WAL lives in its owner's
  // root): partitions 0 reopens it with that count, another non-zero count is InvalidArgument.
  static Result<std::unique_ptr<SharedNothingEngine>> Open(const DbOptions& opts);
  ~SharedNothingEngine();
  SharedNothingEngine(const SharedNothingEngine&) = delete;
  SharedNothingEngine& operator=(const SharedNothingEngine&) = delete;

  // Runs fn under the run's worker token and waits; inline when already inside that worker.
  template <class F>
  Status Execute(const RunId& run, F&& fn) {
    return Call(*workers_[WorkerIndex(run)], fn, &closed_);
  }
  // Visits the workers one after the other, each under its token (fn need not be thread-safe).
  template <class F>
  Status ForEachPartition(F&& fn) {
    for (const auto& w : workers_) STATELAB_RETURN_IF_ERROR(Call(*w, fn, &closed_));
    return Status::OK();
  }
  Status WaitDurable(CommitTicket t, bool force);
  Status Flush();
  Status Snapshot();
  // Stops admitting (ShuttingDown), lets admitted operations finish, then closes every WAL root
  // (the close snapshot is still taken under each worker's token).
  Status Close();
  DurabilityMode mode() const noexcept { return opts_.mode; }
  bool serial_runs() const noexcept { return true; }
  EngineStats Stats() const;
  TxnCounters& txn_counters() noexcept { return txn_counters_; }
  const RecoveryReport& recovery() const noexcept { return report_; }
  DurableState* durable_state(const RunId& run) noexcept {
    return workers_[WorkerIndex(run)]->durable.get();
  }

  size_t num_workers() const noexcept { return workers_.size(); }
  size_t WorkerIndex(const RunId& run) const noexcept { return run.Hash() % workers_.size(); }

 private:
  friend class WorkerStore;
  struct Worker {
    Mailbox mailbox;
    WorkerStore store;
    std::unique_ptr<DurableState> durable;
    RecoveryReport report;
    Status open_status;  // recovery's outcome
  };
  // One queued operation: lives on the sender's stack until it is done.
  struct Message : MailboxNode {
    Status (*run)(void* fn, WorkerStore& store) = nullptr;
    void* fn = nullptr;
    Status result;
  };
  // Durable tokens carry the worker whose log issued them in their low bits.
  static constexpr int kWorkerBits = 11;

  explicit SharedNothingEngine(const DbOptions& opts, uint32_t workers);
  // Recovers w's WAL root into its store (on a thread of its own, in parallel over workers).
  void Recover(Worker& w);
  Status OpenDurable(Worker& w);
  Result<Version> Dump(Worker& w, const EntryEmit& emit);

  // Runs fn(w's store) under w's token: here when it is free, else by whoever holds it (maybe
  // this thread, once it takes it). `admission` (null for internal calls) refuses the call with
  // ShuttingDown once set.
  template <class F>
  static Status Call(Worker& w, F& fn, const std::atomic<bool>* admission);

  // Holder of w's token: runs the queued messages (a bounded batch), then releases it. Returns
  // how many ran.
  static size_t DrainAndRelease(Worker& w);

  // The worker whose token this thread holds and is running an operation under, if any.
  static inline thread_local const Worker* current_worker_ = nullptr;

  DbOptions opts_;
  std::vector<std::unique_ptr<Worker>> workers_;
  alignas(64) std::atomic<Version> version_{0};  // the last version assigned
  RecoveryReport report_;
  std::atomic<bool> closed_{false};
  std::atomic<bool> close_done_{false};
  TxnCounters txn_counters_;
};

static_assert(Engine<SharedNothingEngine>);

template <class F>
Status SharedNothingEngine::Call(Worker& w, F& fn, const std::atomic<bool>* admission) {
  if (current_worker_ == &w) {  // already inside w: a message to itself would never be run
    if (admission != nullptr && admission->load(std::memory_order_acquire)) {
      return Status::ShuttingDown();
    }
    return fn(w.store);
  }
  if (!w.mailbox.Admit(admission)) return Status::ShuttingDown();
  if (w.mailbox.TryAcquire()) {  // idle: run here, then whatever others queued meanwhile
    const Worker* outer = current_worker_;
    current_worker_ = &w;
    Status s = fn(w.store);
    current_worker_ = outer;
    DrainAndRelease(w);
    w.mailbox.Leave();
    return s;
  }
  Message m;
  m.run = [](void* f, WorkerStore& s) -> Status { return (*static_cast<F*>(f))(s); };
  m.fn = const_cast<void*>(static_cast<const void*>(std::addressof(fn)));
  w.mailbox.Queue(&m);
  while (m.done.load(std::memory_order_seq_cst) == 0) {
    if (!w.mailbox.TryAcquire()) {
      w.mailbox.WaitDoneOrFree(&m);
    } else if (DrainAndRelease(w) == 0) {
      // A send ahead of ours is half linked: its sender drains once it has linked it.
      w.mailbox.WaitDoneOrRelease(&m);
    }
  }
  w.mailbox.Leave();
  return std::move(m.result);
}

}  // namespace statelab
