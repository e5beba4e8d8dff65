#pragma once
// The write-ahead log as the engines see it: one record per committed transaction, appended in
// version order under the caller's commit exclusion, made durable as the mode promises.
// One CommitLog per WAL directory (btree and sharded: one; shared_nothing: one per worker).
// Thread-safety: all methods are thread-safe.

#include <cstdint>
#include <memory>
#include <string>

#include "engines/api/options.h"
#include "engines/api/status.h"
#include "engines/api/types.h"

namespace statelab {

struct TxnState;

class CommitLog {
 public:
  // Opens (creating) the WAL under `wal_dir` for a durable mode. Never called in kInMemory.
  static Result<std::unique_ptr<CommitLog>> Open(const DbOptions& opts, std::string wal_dir,
                                                 Version start_version);
  ~CommitLog();

  // Encodes and queues the record of the commit of `t` at version v. Must be called in version
  // order for this log. Returns the token to wait on.
  Result<uint64_t> Append(Version v, const TxnState& t);
  // Blocks until the record of `token` (and all before it) is durable per the mode; force makes
  // it fdatasync'ed even in Buffered mode.
  Status WaitDurable(uint64_t token, bool force);
  // Everything appended so far becomes durable.
  Status Flush();
  // Flushes and joins background threads; further appends fail with ShuttingDown.
  Status Close();
  uint64_t appends() const;
  uint64_t syncs() const;
  uint64_t bytes() const;

 private:
  class Impl;  // concrete, not virtual: the commit path makes no virtual call
  explicit CommitLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace statelab
