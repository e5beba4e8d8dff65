#pragma once
// DurableState: recovery, commit log and snapshots of one WAL root (`<dir>` for btree and
// sharded; `<dir>/worker-N` for each shared_nothing worker). The only durability type an engine
// touches; how an engine integrates it is in docs/durability.md ("How an engine integrates").
// Thread-safety: all methods are thread-safe.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engines/api/options.h"
#include "engines/api/status.h"
#include "engines/api/types.h"
#include "engines/core/txn_state.h"
#include "engines/core/version_chain.h"
#include "engines/durability/commit_log.h"

namespace statelab {

// What recovery did at open (docs/durability.md, "Recovery"). Engines with several WAL roots
// Merge their reports.
struct RecoveryReport {
  std::string snapshot_used;  // snapshot file name; empty: none (started from an empty state)
  Version snapshot_version = 0;
  Version recovered_version = 0;  // the version counter after recovery
  uint64_t records_replayed = 0;
  uint64_t bytes_truncated = 0;      // torn / corrupt tail cut off the log
  uint64_t records_skipped = 0;      // mid-log corrupt records skipped (skip_corrupt_records)
  std::vector<RunId> orphaned_runs;  // kRunBegin without kRunEnd, sorted
  double time_ms = 0;
  std::vector<std::string> notes;  // what was truncated, skipped or fallen back from, and where

  void Merge(const RecoveryReport& o);
};

// One entry of a consistent dump: encoded key and the entry visible at the dump's version.
using EntryEmit = std::function<void(std::string_view key, const VersionEntry& e)>;

class DurableState {
 public:
  struct Hooks {
    // Recovery: installs one replayed commit at version v (called in version order, on the
    // opening thread, before the engine is shared). Writes are kPut / kDelete only.
    std::function<void(Version v, TxnState& t)> apply_commit;
    // Recovery: installs one snapshot entry (called before any apply_commit).
    std::function<void(std::string_view key, VersionEntry e)> load_entry;
    // Snapshots: pins a consistent version v (a registered snapshot, so GC keeps what is needed),
    // emits every key's entry visible at v (tombstones and expired entries included, versions
    // and expiry preserved), unpins and returns v. Runs on a DurableState thread or on the caller
    // of Snapshot() / Close(), concurrently with commits.
    std::function<Result<Version>(const EntryEmit& emit)> dump;
  };

  // Creates `root` if needed, recovers (snapshot + WAL replay through the hooks), opens the log.
  // Never called in kInMemory. `report` (optional) receives what recovery did.
  static Result<std::unique_ptr<DurableState>> Open(const DbOptions& opts, std::string root,
                                                    Hooks hooks, RecoveryReport* report);
  ~DurableState();  // Close()
  DurableState(const DurableState&) = delete;
  DurableState& operator=(const DurableState&) = delete;

  // Commit path: log().Append(v, t) under the commit exclusion, log().WaitDurable(token, force)
  // outside it.
  CommitLog& log() noexcept { return *log_; }
  Version recovered_version() const noexcept { return recovered_version_; }
  const RecoveryReport& recovery() const noexcept { return report_; }

  // Writes a snapshot now (manual trigger); WAL-size and interval triggers run on a background
  // thread. Keeps the newest two snapshots and deletes WAL segments the oldest one covers.
  Status Snapshot();
  Status Flush() { return log_->Flush(); }
  // Snapshot (if DbOptions::snapshot_on_close and the log is healthy), close the log, join every
  // thread. Idempotent; the engine must have stopped committing (dump may still be called).
  Status Close();

  // History, for replay_run. The version at which `run` ended (its kRunEnd commit); 0 = never.
  Version RunEndVersion(const RunId& run) const;
  // Every key of `run` as of version `until` (entries with version <= until, tombstones included)
  // rebuilt from the files: the newest valid snapshot at or below `until` (or the oldest one when
  // history before it was compacted away) plus WAL records up to `until`. *as_of receives the
  // version the result reflects (max(until, base snapshot version)). Flushes first.
  Status ReadRunHistory(const RunId& run, Version until, const EntryEmit& emit, Version* as_of);

 private:
  class Impl;
  DurableState() = default;
  void TriggerLoop();  // WAL-size and interval snapshot triggers
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<CommitLog> log_;
  Version recovered_version_ = 0;
  RecoveryReport report_;
};

}  // namespace statelab
