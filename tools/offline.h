#pragma once
// The offline commands over a data directory. Inspect, verify and wal dump read the files only
// (tools/data_dir.h); replay and diff open the directory through normal recovery (which needs
// the run history of engines/durability) with the engine its layout names, so no other process
// may have it open. All work for every engine's layout and print JSON lines, every one with a
// "kind" member (docs/cli.md, "Offline commands").
// Thread-safety: each call is independent; `out` is called from the calling thread.

#include <functional>
#include <string>
#include <string_view>

#include "engines/api/options.h"
#include "engines/api/status.h"
#include "engines/api/types.h"

namespace statelab::cli {

using LineFn = std::function<void(std::string_view line)>;

// Layout, WAL segments, snapshots, what recovery under `policy` would do (open's verdict), and
// every run with its counts per primitive.
Status Inspect(const std::string& dir, const LineFn& out,
               RecoveryPolicy policy = RecoveryPolicy::kStrict);
// CRC and structure of every WAL record and snapshot, every run's event chain, and for each
// problem what recovery under `policy` does about it (open's verdict). Returns whether everything
// is clean; an error only when the directory cannot be read.
Result<bool> Verify(const std::string& dir, const LineFn& out,
                    RecoveryPolicy policy = RecoveryPolicy::kStrict);
// The view of run `run` (a name) as of its end: a header line, then one line per KV entry,
// state cell, JSON document, event and trace.
Status Replay(const std::string& dir, const std::string& run, const LineFn& out);
// A header line, then one line per difference between runs `a` and `b` (names).
Status Diff(const std::string& dir, const std::string& a, const std::string& b, const LineFn& out);
// One line per WAL record with version >= from, every root, oldest first. Corruption (file and
// offset of the first bad record) after printing everything readable.
Status WalDump(const std::string& dir, Version from, const LineFn& out);

}  // namespace statelab::cli
