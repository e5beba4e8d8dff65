#pragma once
// Database<E>: the user-facing API over one engine: transactions that reach all seven primitives
// of one run, and the primitive facades (fast-path reads, one-operation writes).
// Written once over the Engine concept; Database<AnyEngine> is the runtime-selected variant.
// Thread-safety: thread-safe.

#include <memory>

#include "engines/core/run_transaction.h"
#include "engines/durability/durable_state.h"
#include "engines/primitives/event_log.h"
#include "engines/primitives/json_store.h"
#include "engines/primitives/kv.h"
#include "engines/primitives/run_index.h"
#include "engines/primitives/search.h"
#include "engines/primitives/state_cell.h"
#include "engines/primitives/trace_store.h"
#include "engines/primitives/vector_store.h"

namespace statelab {

// What a transaction function receives: every primitive of the transaction's run.
template <Partition P>
class TxnHandle {
 public:
  explicit TxnHandle(Txn<P>& t, internal::VectorCache* vector_cache = nullptr) noexcept
      : t_(t), vector_cache_(vector_cache) {}
  const RunId& run() const noexcept { return t_.run(); }
  Version snapshot() const noexcept { return t_.snapshot(); }
  KvOps<P> kv() noexcept { return KvOps<P>(t_); }
  EventOps<P> events() noexcept { return EventOps<P>(t_); }
  StateOps<P> state() noexcept { return StateOps<P>(t_); }
  TraceOps<P> traces() noexcept { return TraceOps<P>(t_); }
  JsonOps<P> json() noexcept { return JsonOps<P>(t_); }
  VectorOps<P> vectors() noexcept { return VectorOps<P>(t_, vector_cache_); }
  SearchOps<P> search() noexcept { return SearchOps<P>(t_); }
  Txn<P>& raw() noexcept { return t_; }

 private:
  Txn<P>& t_;
  internal::VectorCache* vector_cache_;
};

template <Engine E>
class Database {
 public:
  using EngineType = E;
  using P = typename E::Partition;
  using Handle = TxnHandle<P>;

  static Result<std::unique_ptr<Database>> Open(const DbOptions& opts) {
    STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<E> e, E::Open(opts));
    // A delete_run interrupted by a crash is finished before anyone sees the run again.
    STATELAB_RETURN_IF_ERROR(RunIndex<E>(*e).FinishPendingDeletes());
    return std::unique_ptr<Database>(new Database(std::move(e)));
  }
  explicit Database(std::unique_ptr<E> e) noexcept : e_(std::move(e)) {}
  ~Database() { (void)Close(); }

  // Runs fn(Handle&) -> Status on one snapshot of `run`; commits if it returns OK, discards
  // otherwise. Conflicts are retried per options.retry, so fn must be re-runnable. Inside fn (and
  // Read's), reach the run's data through the handle: a facade call on the same run (kv(),
  // events(), ...) returns InvalidArgument (docs/engines.md, "Transactions and facades").
  template <class F>
  Result<Version> Transaction(const RunId& run, F&& fn, const TxnOptions& opts = {}) {
    STATELAB_ASSIGN_OR_RETURN(const CommitTicket t, TransactionNoWait(run, fn, opts));
    STATELAB_RETURN_IF_ERROR(WaitDurable(t, opts.durability == DurabilityOverride::kStrict));
    return t.version;
  }
  // Transaction without the durability wait: returns once the commit is visible. Acknowledge it
  // only after WaitDurable(ticket) returned OK; a caller that commits several times before
  // waiting (the shell's pipelined requests) lets those commits share one group commit.
  template <class F>
  Result<CommitTicket> TransactionNoWait(const RunId& run, F&& fn, const TxnOptions& opts = {}) {
    return CommitTransaction(
        *e_, run,
        [&](Txn<P>& t) {
          Handle h(t, vector_cache_.get());
          return fn(h);
        },
        opts);
  }
  // Returns once the commit is as durable as the mode promises (force: fdatasync'ed, as the
  // kStrict override asks); immediately for a ticket without a WAL record.
  Status WaitDurable(const CommitTicket& ticket, bool force) {
    return e_->WaitDurable(ticket, force);
  }
  // A read-only transaction: one snapshot, never aborts.
  template <class F>
  Status Read(const RunId& run, F&& fn) {
    return RunRead(*e_, run, [&](Txn<P>& t) {
      const internal::InTransactionScope scope(e_.get(), run);
      Handle h(t, vector_cache_.get());
      return fn(h);
    });
  }

  KvStore<E> kv() noexcept { return KvStore<E>(*e_); }
  EventLog<E> events() noexcept { return EventLog<E>(*e_); }
  StateCell<E> state() noexcept { return StateCell<E>(*e_); }
  TraceStore<E> traces() noexcept { return TraceStore<E>(*e_); }
  JsonStore<E> json() noexcept { return JsonStore<E>(*e_); }
  VectorStore<E> vectors() noexcept { return VectorStore<E>(*e_, vector_cache_.get()); }
  RunIndex<E> runs() noexcept { return RunIndex<E>(*e_); }
  Search<E> search() noexcept { return Search<E>(*e_); }

  // Everything committed so far becomes durable.
  Status Flush() { return e_->Flush(); }
  // Writes a snapshot now (no-op in kInMemory); see docs/durability.md.
  Status Snapshot() { return e_->Snapshot(); }
  // What recovery did when this database was opened.
  const RecoveryReport& recovery() const { return e_->recovery(); }
  // Stops admitting work (ShuttingDown afterwards), finishes in-flight commits, flushes, joins.
  Status Close() { return e_ ? e_->Close() : Status::OK(); }
  DurabilityMode mode() const noexcept { return e_->mode(); }
  EngineStats Stats() const { return e_->Stats(); }
  E& engine() noexcept { return *e_; }

 private:
  std::unique_ptr<E> e_;
  // Vector search matrices, validated against each search's snapshot (VectorOps::Search).
  std::unique_ptr<internal::VectorCache> vector_cache_ = std::make_unique<internal::VectorCache>();
};

}  // namespace statelab
