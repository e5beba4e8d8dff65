#pragma once
// The engine contract. An engine is a set of partitions; every run lives in exactly one partition
// and every transaction runs against that partition only (a transaction never spans runs).
//   - Execute(run, fn) runs fn(partition) where the run's data lives: on the calling thread for
//     the btree and sharded engines, on the owning worker for shared_nothing.
//   - A partition gives snapshot reads, ordered scans and the commit of a TxnState.
//   - Durability waits happen outside Execute (WaitDurable), so an owner thread never blocks on
//     fsync.
// Each engine has `static_assert(Engine<X>)` under its definition.

#include <atomic>
#include <concepts>
#include <cstdint>
#include <memory>
#include <string_view>

#include "engines/api/options.h"
#include "engines/api/status.h"
#include "engines/api/types.h"
#include "engines/api/value.h"

namespace statelab {

struct TxnState;
struct RecoveryReport;  // engines/durability/durable_state.h
class DurableState;     // engines/durability/durable_state.h

// What a commit hands back: its version, and a token to wait on for durability (0 = nothing to
// wait for: read-only, or InMemory).
struct CommitTicket {
  Version version = 0;
  uint64_t durable_token = 0;
};

// Counters every engine reports (monotonic, since open).
struct EngineStats {
  uint64_t commits = 0;
  uint64_t conflicts = 0;    // commits refused because a read was stale
  uint64_t txn_retries = 0;  // conflicts the transaction driver retried
  uint64_t txn_gave_up = 0;  // transactions the driver returned as Conflict (retries spent)
  uint64_t keys = 0;         // distinct keys stored (including tombstones)
  uint64_t versions = 0;     // version entries stored
  uint64_t wal_appends = 0;
  uint64_t wal_syncs = 0;
  uint64_t wal_bytes = 0;
  uint64_t files_created = 0;
  uint64_t active_snapshots = 0;
  DurabilityMode mode = DurabilityMode::kInMemory;
};

// What the transaction driver (engines/core/run_transaction.h) counts in the engine it drives;
// an engine copies them into its EngineStats. Written only after a conflict, never per commit.
// Thread-safety: thread-safe.
struct TxnCounters {
  std::atomic<uint64_t> retries{0};
  std::atomic<uint64_t> gave_up{0};
  void AddTo(EngineStats* s) const noexcept {
    s->txn_retries += retries.load(std::memory_order_relaxed);
    s->txn_gave_up += gave_up.load(std::memory_order_relaxed);
  }
};

// A scan callback: (encoded key, value, version) -> keep going. It runs while the partition is
// read-locked: it must not call back into the engine or the transaction.
template <class F>
concept ScanCallback = std::invocable<F&, std::string_view, const Value&, Version>;

template <class P>
concept Partition = requires(P& p, Version snap, std::string_view key, TimestampUs& now,
                             Version* ver, TxnState& txn) {
  // Registers and returns a snapshot (O(1), no allocation, no global lock); pair with Release.
  { p.AcquireSnapshot() } noexcept -> std::same_as<Version>;
  { p.ReleaseSnapshot() } noexcept;
  // Calls fn(value, expire_at_us) once with the newest version <= snap of an encoded key, in
  // place (no copy), under the partition's read exclusion: fn must not call back into the engine.
  // expire_at_us is 0 when the entry never expires. NotFound (fn not called) when absent, deleted
  // or expired; *ver is then the tombstone's version (0 = never existed). ver may be null.
  {
    p.View(snap, key, now, [](const Value&, TimestampUs) {}, ver)
  } noexcept -> std::same_as<Status>;
  // Live entries under an encoded prefix at snap, in key order.
  {
    p.Scan(snap, key, now, [](std::string_view, const Value&, Version) { return true; })
  } -> std::same_as<Status>;
  // Validates, logs and installs; Conflict when a read is stale.
  { p.Commit(txn) } -> std::same_as<Result<CommitTicket>>;
};

// A View callback that copies the value into *out (null: copies nothing).
struct CopyInto {
  Value* out;
  void operator()(const Value& v, TimestampUs) const {
    if (out != nullptr) *out = v;
  }
};

// A point read that copies the value into *out (null: only the status and version).
template <Partition P>
Status ReadCopy(P& p, Version snap, std::string_view key, TimestampUs& now, Value* out,
                Version* ver) noexcept {
  return p.View(snap, key, now, CopyInto{out}, ver);
}

template <class E>
concept Engine = requires(E& e, const E& ce, const RunId& run, CommitTicket ticket,
                          const DbOptions& opts) {
  typename E::Partition;
  requires Partition<typename E::Partition>;
  { E::kName } -> std::convertible_to<std::string_view>;
  { E::Open(opts) } -> std::same_as<Result<std::unique_ptr<E>>>;
  { e.Execute(run, [](typename E::Partition&) { return Status::OK(); }) } -> std::same_as<Status>;
  { e.ForEachPartition([](typename E::Partition&) { return Status::OK(); }) } -> std::same_as<Status>;
  // Blocks until the ticket's commit is as durable as the mode promises (force: Strict-durable).
  { e.WaitDurable(ticket, bool{}) } -> std::same_as<Status>;
  { e.Flush() } -> std::same_as<Status>;
  { e.Close() } -> std::same_as<Status>;
  { ce.mode() } -> std::same_as<DurabilityMode>;
  { ce.Stats() } -> std::same_as<EngineStats>;
  // The driver's retry counters, which Stats() reports.
  { e.txn_counters() } noexcept -> std::same_as<TxnCounters&>;
  // Writes a snapshot of every WAL root now (no-op in kInMemory).
  { e.Snapshot() } -> std::same_as<Status>;
  // What recovery did at open (empty report in kInMemory); several WAL roots: merged.
  { ce.recovery() } -> std::same_as<const RecoveryReport&>;
  // The durable state holding `run`'s WAL (for replay_run); null in kInMemory.
  { e.durable_state(run) } noexcept -> std::same_as<DurableState*>;
  // True when transactions of one run execute one at a time on the run's owner (no validation
  // needed); false for optimistic engines, where they interleave and may conflict.
  { ce.serial_runs() } noexcept -> std::same_as<bool>;
};

}  // namespace statelab
