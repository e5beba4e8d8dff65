#pragma once
// The write-ahead log as the engines see it: one record per committed transaction, appended in
// version order (under the caller's commit exclusion with Append, or with the version assigned
// under the log's own lock with AppendNext), made durable as the mode promises:
//   - Strict: WaitDurable returns once the record is fdatasync'ed. Group commit: the first waiter
//     becomes the leader, writes and syncs everything queued; waiters that arrive meanwhile share
//     the next sync (leader/follower on one condition variable).
//   - Buffered: WaitDurable returns once the record is written to the file (write(2) into the
//     page cache, grouped leader/follower like Strict's rounds; a follower spins a few
//     microseconds for the round in flight before it sleeps), so a process crash loses nothing
//     acknowledged; a background thread fdatasyncs every buffered_interval_ms (or once
//     buffered_batch_size records are unsynced), writing first any record appended but not yet
//     waited for, so an OS crash or power loss loses at most about
//     that. A commit that finds the oldest unsynced record more than two intervals old waits for
//     a sync (the window does not widen under load). WaitDurable(token, force=true) syncs like
//     Strict.
// A failed write or sync poisons the log: every later Append / WaitDurable / Flush returns that
// IOError (what reached the file is unknown; recovery sorts it out at the next open).
// One CommitLog per WAL root, opened by DurableState (engines/durability/durable_state.h).
// Thread-safety: all methods are thread-safe.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engines/api/options.h"
#include "engines/api/status.h"
#include "engines/api/types.h"
#include "engines/durability/snapshot_format.h"

namespace statelab {

struct TxnState;
class Env;

class CommitLog {
 public:
  // Opens (creating) the segment "<wal_dir>/<segment_name>.wal" (0: next_version) for a durable
  // mode; `runs` is the recovered run lifecycle table. A segment's name is one past the version
  // of the log's record before it (recovery checks that the log is continuous with it), so at a
  // roll it is the last appended version + 1. Never called in kInMemory.
  static Result<std::unique_ptr<CommitLog>> Open(const DbOptions& opts, Env* env,
                                                 std::string wal_dir, Version next_version,
                                                 const std::vector<snapshot::RunLife>& runs,
                                                 Version segment_name = 0);
  ~CommitLog();  // Close()

  // Encodes and queues the record of the commit of `t` at version v. Must be called in version
  // order for this log. Returns the token to wait on (> 0).
  Result<uint64_t> Append(Version v, const TxnState& t);
  // As Append, with the version assigned by the log: *last + 1, stored into *last (release) and
  // *v under the log's lock once the record is queued. Writers sharing one log (sharded's
  // shards) need no lock of their own to keep it in version order, and the record is encoded
  // outside any lock.
  Result<uint64_t> AppendNext(std::atomic<Version>* last, const TxnState& t, Version* v);
  // Blocks until the record of `token` (and all before it) is durable per the mode; force makes
  // it fdatasync'ed even in Buffered mode.
  Status WaitDurable(uint64_t token, bool force);
  // Everything appended so far becomes durable.
  Status Flush();
  // Flushes and joins background threads; further appends fail with ShuttingDown. Idempotent.
  Status Close();
  // OK, or the IOError that poisoned the log.
  Status health() const;

  uint64_t appends() const;
  uint64_t syncs() const;
  uint64_t bytes() const;
  Version last_version() const;  // newest appended (or recovered) version

  // Run lifecycle (kRunBegin / kRunEnd markers seen so far, recovered ones included).
  std::vector<snapshot::RunLife> RunsAt(Version v) const;  // as of version v
  Version RunEnd(const RunId& run) const;                  // 0 = not ended

 private:
  class Impl;  // concrete, not virtual: the commit path makes no virtual call
  explicit CommitLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace statelab
