#pragma once
// Options of a database and of a transaction. Each durability promise is one sentence here.
// Thread-safety: value types.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engines/api/status.h"

namespace statelab {

enum class DurabilityMode : uint8_t {
  // A returned commit is in memory only; no file is ever created; a crash loses everything.
  kInMemory = 0,
  // A returned commit's WAL record is queued; a background writer writes and fdatasyncs when
  // interval_ms passes or batch_size commits are pending; a crash loses at most the last interval.
  kBuffered = 1,
  // A returned commit's WAL record is on stable storage (fdatasync returned); nothing
  // acknowledged is lost. Concurrent committers share one sync (group commit).
  kStrict = 2,
};
std::string_view ModeName(DurabilityMode m) noexcept;  // "inmemory" | "buffered" | "strict"
Result<DurabilityMode> ParseMode(std::string_view name);

// What recovery does when the files do not hold a complete, continuous history
// (docs/durability.md, "Recovery policies").
enum class RecoveryPolicy : uint8_t {
  // Refuse to open (Corruption naming the file and offset) on any loss, except a torn tail of the
  // last segment (a record a crash left incomplete, which was never acknowledged): cut and noted.
  kStrict = 0,
  // Keep the longest intact prefix of history: at the first damaged record, gap or uncovered
  // snapshot loss, cut the log there and open; the report lists every version cut.
  kTruncateTail = 1,
  // Skip what is damaged or missing and replay every valid record after it; the report lists
  // every version skipped.
  kSkipCorrupt = 2,
};
// "strict" | "truncate-tail" | "skip-corrupt"
std::string_view RecoveryPolicyName(RecoveryPolicy p) noexcept;
Result<RecoveryPolicy> ParseRecoveryPolicy(std::string_view name);

class Env;  // file layer seam (engines/durability/env.h); tests inject faults through it

struct DbOptions {
  std::string engine = "btree";  // for runtime selection by name (AnyEngine::Open)
  std::string dir;  // data directory; unused (and never created) in kInMemory
  DurabilityMode mode = DurabilityMode::kInMemory;
  uint32_t buffered_interval_ms = 100;
  uint32_t buffered_batch_size = 1000;
  // Snapshot triggers (0 disables): WAL bytes since the last snapshot, seconds since it.
  uint64_t snapshot_wal_bytes = 64ull << 20;
  uint32_t snapshot_interval_s = 0;
  bool snapshot_on_close = true;
  uint64_t wal_segment_bytes = 64ull << 20;
  // Recovery at open: what to do with damaged or missing history (RecoveryPolicy above).
  RecoveryPolicy recovery_policy = RecoveryPolicy::kStrict;
  // Maintain the per-run search index (docs/search.md) in every commit: each write of a document
  // also writes one key per distinct term plus one stats key (and deletes the postings of the
  // old value's terms that are gone). Off: writes are cheaper and search finds nothing new.
  // The bench measures this cost per put both ways.
  bool search_index = true;
  // Worker threads (shared_nothing) or shards (sharded); 0 = engine default.
  uint32_t partitions = 0;
  Env* env = nullptr;  // nullptr = the real POSIX file layer
};

struct RetryPolicy {
  uint32_t max_retries = 64;
  std::chrono::microseconds initial_backoff{1};
  std::chrono::microseconds max_backoff{1000};
};

enum class DurabilityOverride : uint8_t { kDefault = 0, kStrict = 1 };

struct TxnOptions {
  RetryPolicy retry;
  // Zero means no timeout. Checked between attempts and before commit.
  std::chrono::microseconds timeout{0};
  // kStrict: in Buffered mode, this commit (and all before it) is durable before returning.
  // InvalidArgument in InMemory mode.
  DurabilityOverride durability = DurabilityOverride::kDefault;
};

}  // namespace statelab
