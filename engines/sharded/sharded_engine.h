#pragma once
// The sharded engine: runs are hashed to shards (RunId::Hash()); each shard is a hash table of
// version chains, an ordered index over its keys (for scans) and its own reader-writer lock
// (RwLock: writer-preferring, so readers cannot starve commits).
// Versions come from one atomic counter, assigned under the committing shard's exclusive lock,
// so commits of different runs share no lock in kInMemory. Durable modes share one WAL, and the
// version is assigned inside its append critical section so the log is in version order.
// Why this is correct, and what it should win or lose: docs/engines.md.
// Thread-safety: all public methods are thread-safe.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string_view>
#include <vector>

#include "engines/api/engine.h"
#include "engines/api/key.h"
#include "engines/core/chain_reads.h"
#include "engines/core/chain_table.h"
#include "engines/core/rw_lock.h"
#include "engines/core/slab_arena.h"
#include "engines/core/snapshot_registry.h"
#include "engines/core/txn_state.h"
#include "engines/core/version_chain.h"
#include "engines/durability/durable_state.h"

namespace statelab {

class ShardedEngine;

// One shard, the sharded engine's Partition.
// Thread-safety: all methods are thread-safe (the shard's lock guards its maps and counters).
class alignas(64) Shard {
 public:
  Version AcquireSnapshot() noexcept;
  void ReleaseSnapshot() noexcept;
  template <class F>
  Status View(Version snap, std::string_view key, TimestampUs& now, F&& fn, Version* ver) noexcept {
    std::shared_lock lk(mu_);
    return ViewVisible(Find(key), snap, now, fn, ver);
  }
  template <class F>
  Status Scan(Version snap, std::string_view prefix, TimestampUs& now, F&& fn) {
    std::shared_lock lk(mu_);
    ScanVisible(chains_.index(), prefix, snap, now, fn);
    return Status::OK();
  }
  Result<CommitTicket> Commit(TxnState& t);

 private:
  friend class ShardedEngine;

  const VersionChain* Find(std::string_view key) const noexcept { return chains_.Find(key); }
  void Install(Version v, TxnState& t, Version horizon);  // under the exclusive lock
  // The GC horizon of a commit (under the exclusive lock): the registry's, refreshed every
  // kHorizonEvery commits of this shard. The registry's scan reads 64 slot lines, and the line of
  // every other committing thread has changed since the last commit: per commit, it was what
  // writers of different shards shared most (docs/engines.md). An older horizon is still safe
  // (every snapshot taken since reads at or above it); chains keep at most a few more versions.
  Version CommitHorizon();
  static constexpr uint32_t kHorizonEvery = 16;
  // Emits every key's entry visible at v, copying a chunk at a time under the shared lock so the
  // shard's commits wait for a copy, never for the writer.
  void Dump(Version v, const EntryEmit& emit) const;

  ShardedEngine* engine_ = nullptr;
  mutable RwLock mu_;
  SlabArena arena_;  // guarded by mu_ (exclusive); declared first, so destroyed after the maps
  ChainTable chains_{&arena_};
  uint64_t commits_ = 0;    // guarded by mu_
  uint64_t conflicts_ = 0;  // guarded by mu_
  Version horizon_ = 0;     // guarded by mu_; see CommitHorizon
};

class ShardedEngine {
 public:
  static constexpr std::string_view kName = "sharded";
  using Partition = Shard;

  // opts.partitions shards, rounded up to a power of two; 0 = 4 x hardware threads.
  static Result<std::unique_ptr<ShardedEngine>> Open(const DbOptions& opts);
  ~ShardedEngine();
  ShardedEngine(const ShardedEngine&) = delete;
  ShardedEngine& operator=(const ShardedEngine&) = delete;

  template <class F>
  Status Execute(const RunId& run, F&& fn) {
    if (closed_.load(std::memory_order_acquire)) return Status::ShuttingDown();
    return fn(ShardOf(run));
  }
  template <class F>
  Status ForEachPartition(F&& fn) {
    if (closed_.load(std::memory_order_acquire)) return Status::ShuttingDown();
    for (size_t i = 0; i < num_shards_; ++i) STATELAB_RETURN_IF_ERROR(fn(shards_[i]));
    return Status::OK();
  }
  Status WaitDurable(CommitTicket t, bool force);
  Status Flush();
  Status Snapshot();
  Status Close();
  DurabilityMode mode() const noexcept { return opts_.mode; }
  bool serial_runs() const noexcept { return false; }
  EngineStats Stats() const;
  TxnCounters& txn_counters() noexcept { return txn_counters_; }
  const RecoveryReport& recovery() const noexcept { return report_; }
  DurableState* durable_state(const RunId&) noexcept { return durable_.get(); }

  size_t num_shards() const noexcept { return num_shards_; }
  size_t ShardIndex(const RunId& run) const noexcept { return run.Hash() & (num_shards_ - 1); }

 private:
  friend class Shard;
  explicit ShardedEngine(const DbOptions& opts);
  Shard& ShardOf(const RunId& run) noexcept { return shards_[ShardIndex(run)]; }
  Shard& ShardOfKey(std::string_view encoded_key) noexcept;
  Result<Version> Dump(const EntryEmit& emit);
  // Snapshot load (the engine is not shared yet): counts an entry per shard before the load
  // (DurableState::Hooks::count_entry); the first load then reserves every shard's table for
  // its count, so no table grows (rehashing every key so far) while the snapshot loads.
  void CountLoadEntry(std::string_view key);
  void ReserveCounted();

  DbOptions opts_;
  size_t num_shards_;
  std::unique_ptr<Shard[]> shards_;
  // The last version assigned. Snapshots read it; see docs/engines.md for why a snapshot never
  // misses a smaller version still being installed.
  alignas(64) std::atomic<Version> version_{0};
  SnapshotRegistry registry_;
  std::unique_ptr<DurableState> durable_;  // null in kInMemory
  RecoveryReport report_;
  std::vector<uint64_t> load_counts_;  // per shard, until ReserveCounted; recovery only
  std::atomic<bool> closed_{false};
  alignas(64) TxnCounters txn_counters_;  // written only after conflicts: kept off hot lines
};

static_assert(Engine<ShardedEngine>);

inline Version Shard::AcquireSnapshot() noexcept {
  return engine_->registry_.Acquire(engine_->version_);
}
inline void Shard::ReleaseSnapshot() noexcept { engine_->registry_.Release(); }

}  // namespace statelab
