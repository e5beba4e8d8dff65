#pragma once
// The baseline engine: one reader-writer lock around one ordered B-tree map of key -> version
// chain. Readers take the lock shared, commits take it exclusive; the lock is writer-preferring
// (RwLock), so readers in tight loops cannot starve commits. One WAL. One partition.
// Thread-safety: all public methods are thread-safe.

#include <atomic>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string_view>

#include <absl/container/btree_map.h>

#include "engines/api/engine.h"
#include "engines/api/key.h"
#include "engines/core/chain_reads.h"
#include "engines/core/rw_lock.h"
#include "engines/core/slab_arena.h"
#include "engines/core/snapshot_registry.h"
#include "engines/core/txn_state.h"
#include "engines/core/version_chain.h"
#include "engines/durability/durable_state.h"

namespace statelab {

class BTreeEngine {
 public:
  static constexpr std::string_view kName = "btree";
  using Partition = BTreeEngine;
  // Nodes come from the engine's arena (one malloc per slab, not per node).
  using Map = absl::btree_map<Key, VersionChain, KeyLess,
                              ArenaAllocator<std::pair<const Key, VersionChain>>>;

  static Result<std::unique_ptr<BTreeEngine>> Open(const DbOptions& opts);
  ~BTreeEngine();

  template <class F>
  Status Execute(const RunId&, F&& fn) {
    if (closed_.load(std::memory_order_acquire)) return Status::ShuttingDown();
    return fn(*this);
  }
  template <class F>
  Status ForEachPartition(F&& fn) {
    if (closed_.load(std::memory_order_acquire)) return Status::ShuttingDown();
    return fn(*this);
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

  // Partition.
  Version AcquireSnapshot() noexcept { return registry_.Acquire(visible_); }
  void ReleaseSnapshot() noexcept { registry_.Release(); }
  template <class F>
  Status View(Version snap, std::string_view key, TimestampUs& now, F&& fn, Version* ver) noexcept {
    std::shared_lock lk(mu_);
    auto it = map_.find(key);
    return ViewVisible(it == map_.end() ? nullptr : &it->second, snap, now, fn, ver);
  }
  template <class F>
  Status Scan(Version snap, std::string_view prefix, TimestampUs& now, F&& fn) {
    std::shared_lock lk(mu_);
    for (auto it = map_.lower_bound(prefix); it != map_.end(); ++it) {
      std::string_view k = it->first.view();
      if (k.substr(0, prefix.size()) != prefix) break;
      const VersionEntry* e = it->second.Find(snap);
      if (e == nullptr || !e->Live(now)) continue;
      if (!fn(k, e->value, e->version)) break;
    }
    return Status::OK();
  }
  Result<CommitTicket> Commit(TxnState& t);

  // Recovery (before the engine is shared) and read-only replay views: install a snapshot entry,
  // a replayed commit, and set the version counter.
  void LoadEntry(std::string_view key, VersionEntry e);
  void ApplyRecovered(Version v, TxnState& t);
  void RestoreVersion(Version v);
  // From now on every commit that writes fails with InvalidArgument (replay views).
  void SetReadOnly() noexcept { read_only_.store(true, std::memory_order_release); }
  Version visible_version() const noexcept { return visible_.load(std::memory_order_acquire); }

 private:
  explicit BTreeEngine(const DbOptions& opts) : opts_(opts) {}
  // Emits every key's entry visible at v, a chunk of keys per shared-lock hold, so commits go on.
  void DumpAt(Version v, const EntryEmit& emit) const;

  DbOptions opts_;
  mutable RwLock mu_;
  SlabArena arena_;  // guarded by mu_ (exclusive); declared first, so destroyed after map_
  Map map_{Map::allocator_type(&arena_)};
  std::atomic<Version> visible_{0};
  SnapshotRegistry registry_;
  std::unique_ptr<DurableState> durable_;  // null in kInMemory
  RecoveryReport report_;
  std::atomic<bool> closed_{false};
  std::atomic<bool> read_only_{false};
  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> conflicts_{0};
  TxnCounters txn_counters_;
};

static_assert(Engine<BTreeEngine>);

}  // namespace statelab
