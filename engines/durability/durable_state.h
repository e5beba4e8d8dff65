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
#include "engines/durability/wal_format.h"

namespace statelab {

// A stretch of history recovery did not restore, or cut as a torn tail (docs/durability.md,
// "Recovery policies").
struct RecoveryLoss {
  // "torn_tail" (cut; never acknowledged), "cut_tail" (truncate-tail: a damaged record or gap and
  // everything after it), "corrupt_record" and "gap" (skip-corrupt), "snapshot" (skip-corrupt: a
  // corrupt snapshot the log does not cover), "covered" (damaged records the base snapshot holds:
  // nothing lost, listed so every damaged place recovery saw is here).
  std::string what;
  std::string file;  // the damaged file; a gap: the segment after it
  uint64_t offset = 0;
  uint64_t bytes = 0;  // bytes cut or skipped (0 for a gap or a snapshot)
  Version after = 0;   // newest version recovered before it
  Version before = 0;  // oldest version recovered after it; 0: none
  struct Record {
    Version version = 0;
    RunId run;
    bool verified = false;  // false: decoded from bytes that fail their CRC (a best guess)
  };
  std::vector<Record> records;  // what is known to be lost, by version and run (at most 1000)
  uint64_t records_lost = 0;    // valid records discarded (all of them, listed or not)
};

// What recovery did at open (docs/durability.md, "Recovery"). Engines with several WAL roots
// Merge their reports.
struct RecoveryReport {
  std::string policy = "strict";  // RecoveryPolicyName of DbOptions::recovery_policy
  std::string snapshot_used;      // snapshot file name; empty: none (started from an empty state)
  Version snapshot_version = 0;
  Version recovered_version = 0;  // the version counter after recovery
  uint64_t records_replayed = 0;
  uint64_t bytes_truncated = 0;      // torn / cut tail removed from the log
  uint64_t records_skipped = 0;      // damaged records skipped (skip-corrupt)
  std::vector<RecoveryLoss> losses;  // every cut, skip and gap, in log order
  // Runs with a kRunBegin and no kRunEnd marker: active or paused, whether or not their writer
  // is still alive (the files cannot tell). Sorted.
  std::vector<RunId> open_runs;
  double time_ms = 0;
  std::vector<std::string> notes;  // what was truncated, skipped or fallen back from, and where

  void Merge(const RecoveryReport& o);
};

// A WAL segment as recovery reads it: `data` is the file up to where its log ends (wal::LogEnd:
// the zero-filled, never written rest of a preallocated segment is not read); frames start at
// header.first_frame. Offsets into `data` are file offsets.
struct SegmentImage {
  wal::SegmentHeader header;
  std::string data;
  uint64_t file_bytes = 0;  // the file's length
  // A preallocated segment shorter than the size it was created (and synced) with: someone cut
  // it after the fact; a crash cannot (docs/wal_format.md).
  bool truncated() const {
    return header.kind == wal::SegmentKind::kPreallocated && file_bytes < header.file_bytes;
  }
  // The size to restore after cutting the log inside it (0: legacy, cut to the offset).
  uint64_t restore_bytes() const {
    return header.kind == wal::SegmentKind::kPreallocated ? header.file_bytes : 0;
  }
};
// Reads segment `path` (recovery, replay history, the offline tools and the replay floor bench).
Status ReadSegment(Env* env, const std::string& path, SegmentImage* out);

// One entry of a consistent dump: encoded key and the entry visible at the dump's version.
using EntryEmit = std::function<void(std::string_view key, const VersionEntry& e)>;

class DurableState {
 public:
  struct Hooks {
    // Recovery: installs one replayed commit at version v (called in version order, on the
    // opening thread, before the engine is shared). Writes are kPut / kDelete only.
    std::function<void(Version v, TxnState& t)> apply_commit;
    // Recovery (optional): called with each key of the snapshot about to be loaded, before its
    // first load_entry, so the engine can size its tables once.
    std::function<void(std::string_view key)> count_entry;
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
  // What Open would do to `root`, changing no file: the same verdict (the error Open would
  // return) and the same report; the hooks receive the state Open would rebuild (up to the
  // refusal when it refuses). The offline tools (inspect, verify) use it, so they agree with open.
  static Status DryRun(const DbOptions& opts, std::string root, Hooks hooks,
                       RecoveryReport* report);
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
