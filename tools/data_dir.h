#pragma once
// Read-only access to a data directory for the offline commands (inspect, verify, wal dump):
// its WAL roots, segment and snapshot files, a record-by-record WAL walk that describes the
// first bad record, and an in-memory image of the state recovery would rebuild. Nothing here
// writes, truncates or removes a file (recovery proper does; see docs/durability.md).
// Layouts: one root `<dir>` (btree, sharded) or one per worker `<dir>/worker-<i>`
// (shared_nothing); the byte formats are the same for every engine (docs/wal_format.md).
// Thread-safety: pure functions over the files; results belong to the caller.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engines/btree/btree_engine.h"
#include "engines/durability/durable_state.h"
#include "engines/durability/wal_format.h"

namespace statelab::cli {

// The WAL roots of `dir`, workers in index order. InvalidArgument when `dir` holds neither
// `wal/` nor `worker-<i>/`.
Result<std::vector<std::string>> FindRoots(const std::string& dir);
// "shared_nothing" for per-worker roots, else "btree" (btree and sharded write the same files).
std::string_view EngineForLayout(const std::vector<std::string>& roots, const std::string& dir);

struct FileInfo {
  std::string path;
  Version version = 0;  // segments: first version the name stands for; snapshots: their version
  uint64_t bytes = 0;
};
// WAL segments of a root, oldest first.
Status ListSegments(const std::string& root, std::vector<FileInfo>* out);
// Snapshot files of a root, oldest first; `*leftovers` receives `.tmp` files (never renamed).
Status ListSnapshots(const std::string& root, std::vector<FileInfo>* out,
                     std::vector<std::string>* leftovers);

// A WAL record that does not validate, and why.
struct Problem {
  std::string file;
  uint64_t offset = 0;
  std::string what;
  // Valid records follow it (in this segment or a later one). What recovery does about it
  // depends on the policy and on whether a snapshot covers it: LoadImage says.
  bool mid_log = false;
};

// One valid WAL record as found in a segment.
struct WalRecord {
  std::string_view file;  // the segment's path
  uint64_t offset = 0;
  uint64_t size = 0;
  wal::CommitRecord rec;
};
// May take what it needs out of the record.
using RecordFn = std::function<void(WalRecord& r)>;

// Walks the records of every segment of one root in order (those a snapshot covers too), calling
// fn for each valid one, and stops a segment at its first record that does not validate (bad
// header, CRC, payload, or a version not above the previous record's) and goes on with the next
// segment. Returns the problems: per segment a damaged header or a cut (a format 2 segment
// shorter than it was created, at its length) and the first bad record.
Result<std::vector<Problem>> WalkWal(const std::string& root, const RecordFn& fn);

// Checks a snapshot file: size, magic, format version, CRC, every section and entry, and that
// its header's version matches its name. `entries` (optional) receives the entry count.
Status CheckSnapshot(const FileInfo& f, snapshot::Header* h, uint64_t* entries);

// The state recovery would rebuild under `policy`, in memory and read-only: per root, the recovery
// of open run without changing a file (DurableState::DryRun), so the verdicts are open's.
// `report` receives what a recovery would do; `refusal` the error open would return (OK: it
// opens), and the engine then holds the state up to that point.
struct Image {
  std::unique_ptr<BTreeEngine> engine;  // InMemory, read-only
  RecoveryReport report;
  Status refusal;
};
Result<Image> LoadImage(const std::vector<std::string>& roots, RecoveryPolicy policy);

}  // namespace statelab::cli
