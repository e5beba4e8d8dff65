#pragma once
// The baseline engine: one reader-writer lock around one ordered B-tree map of key -> version
// chain. Readers take the lock shared, commits take it exclusive. One WAL. One partition.
// Thread-safety: all public methods are thread-safe.

#include <atomic>
#include <memory>
#include <shared_mutex>
#include <string_view>

#include <absl/container/btree_map.h>

#include "engines/api/engine.h"
#include "engines/api/key.h"
#include "engines/core/snapshot_registry.h"
#include "engines/core/txn_state.h"
#include "engines/core/version_chain.h"
#include "engines/durability/commit_log.h"

namespace statelab {

class BTreeEngine {
 public:
  static constexpr std::string_view kName = "btree";
  using Partition = BTreeEngine;
  using Map = absl::btree_map<Key, VersionChain, KeyLess>;

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
  Status Close();
  DurabilityMode mode() const noexcept { return opts_.mode; }
  bool serial_runs() const noexcept { return false; }
  EngineStats Stats() const;

  // Partition.
  Version AcquireSnapshot() noexcept { return registry_.Acquire(visible_); }
  void ReleaseSnapshot() noexcept { registry_.Release(); }
  Status Get(Version snap, std::string_view key, TimestampUs now, Value* out,
             Version* ver) noexcept;
  template <class F>
  Status Scan(Version snap, std::string_view prefix, TimestampUs now, F&& fn) {
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

  // Installs a recovered record (recovery only, before the engine is shared).
  void ApplyRecovered(Version v, TxnState& t);
  // Visits the newest version of every key (for snapshots), under the shared lock.
  template <class F>
  void ForEachNewest(F&& fn) const {
    std::shared_lock lk(mu_);
    for (const auto& [k, chain] : map_) fn(k, *chain.Newest());
  }
  Version visible_version() const noexcept { return visible_.load(std::memory_order_acquire); }

 private:
  explicit BTreeEngine(const DbOptions& opts) : opts_(opts) {}

  DbOptions opts_;
  mutable std::shared_mutex mu_;
  Map map_;
  std::atomic<Version> visible_{0};
  SnapshotRegistry registry_;
  std::unique_ptr<CommitLog> log_;  // null in kInMemory
  std::atomic<bool> closed_{false};
  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> conflicts_{0};
};

static_assert(Engine<BTreeEngine>);

}  // namespace statelab
