// Tiers durability (commit cost per mode, Buffered's loss window, Strict group commit, the device
// floor), recovery (WAL replay, snapshot write / load, snapshot + WAL, replay_run) and memory
// (heap bytes per key and per vector; WAL and snapshot bytes). Recovery cells time Open (which
// recovers) and close untimed; InMemory keeps no files, so its recovery cells are skipped.
#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "bench/bench_env.h"
#include "bench/catalogue.h"
#include "bench/catalogue_util.h"
#include "bench/contention.h"
#include "bench/flags.h"
#include "bench/primitive_inputs.h"
#include "engines/durability/durable_state.h"
#include "engines/durability/env.h"
#include "engines/durability/wal_format.h"
#include "engines/replay/replay.h"

namespace statelab::bench {

namespace {

namespace fs = std::filesystem;

// Bytes of the regular files under dir; only_in: only files whose directory has that name (the
// "snapshots" of every WAL root, whatever the engine's layout).
uint64_t TreeBytes(const fs::path& dir, std::string_view only_in = {}) {
  uint64_t n = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    if (!only_in.empty() && it->path().parent_path().filename() != only_in) continue;
    n += it->file_size(ec);
  }
  return n;
}

// ---------------------------------------------------------------- durability

// Fills ack times and log byte counts for Buffered's loss window, then waits (untimed) for the
// background writer to cover them and records loss_window_ms.
template <class Eng>
struct CommitState : PointState<Eng> {
  using PointState<Eng>::PointState;
  std::vector<int64_t> ack_ns;
  std::vector<uint64_t> end_bytes;
};

template <class Eng>
void RecordLossWindow(Measure& m, CommitState<Eng>& s, uint64_t ops) {
  const DbOptions defaults;
  CommitLog& log = s.engine().durable_state(s.run)->log();
  const uint64_t target = log.bytes();
  // The writer syncs every interval: wait up to two of them (plus slack) for it, never forcing.
  const int64_t give_up =
      harness::Timer::NowNs() + (2 * int64_t{defaults.buffered_interval_ms} + 50) * 1'000'000;
  std::vector<SyncEvent> syncs = s.env.Syncs(s.env.BusiestRoot());
  while ((syncs.empty() || syncs.back().bytes_before < target) &&
         harness::Timer::NowNs() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    syncs = s.env.Syncs(s.env.BusiestRoot());
  }
  const LossWindow w =
      ComputeLossWindow(std::span(s.ack_ns.data(), ops), std::span(s.end_bytes.data(), ops), syncs);
  m.Extra("loss_window_ms", w.max_ms);
  m.Extra("unsynced_at_end", static_cast<double>(w.uncovered));
}

template <class D>
void AddCommitCells(Catalogue& cat, DurabilityMode mode) {
  using Eng = typename D::Eng;
  using S = CommitState<Eng>;
  const std::string engine = D::Label();
  const std::string_view ml = ModeName(mode);
  // Writes insert or overwrite the point keys; nothing is loaded first.
  auto open = [mode](const CellContext& ctx) -> Result<std::unique_ptr<S>> {
    STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<S> s, (OpenState<D, S>(ctx, mode)));
    s->keys = PointKeys(kPointKeys);
    s->idx = UniformIndexes(kPointKeys, ctx.seed);
    return s;
  };
  const harness::Params n = PointParams();
  cat.Add(
      {MakeKey("durability", "commit", "put", engine, ml, n), Suite::kQuick, Timing::kLoop,
       [open](const CellContext& ctx) {
         return Bind(open(ctx), [](Measure& m, S& s) {
           auto kv = s.db->kv();
           if (s.db->mode() != DurabilityMode::kBuffered) {
             m.Loop([&](uint64_t i) {
               Check(m,
                     kv.Put(s.run, s.keys[s.idx[i & kIndexMask]], Value(static_cast<int64_t>(i))));
             });
             return;
           }
           CommitLog& log = s.engine().durable_state(s.run)->log();
           s.ack_ns.resize(m.planned());
           s.end_bytes.resize(m.planned());
           uint64_t ops = 0;
           m.Loop([&](uint64_t i) {
             Check(m, kv.Put(s.run, s.keys[s.idx[i & kIndexMask]], Value(static_cast<int64_t>(i))));
             s.ack_ns[i] = harness::Timer::NowNs();
             s.end_bytes[i] = log.bytes();
             ops = i + 1;
           });
           RecordLossWindow(m, s, ops);
         });
       }});
  cat.Add({MakeKey("durability", "commit", "txn_3keys", engine, ml, n), Suite::kQuick,
           Timing::kLoop, [open](const CellContext& ctx) {
             return Bind(open(ctx), [](Measure& m, S& s) {
               m.Loop([&](uint64_t i) {
                 const uint32_t k = s.idx[i & kIndexMask];
                 Check(m, s.db->Transaction(s.run, [&](auto& h) -> Status {
                   for (uint32_t j = 0; j < 3; ++j) {
                     STATELAB_RETURN_IF_ERROR(
                         h.kv().Put(s.keys[(k + j) % kPointKeys], Value(static_cast<int64_t>(i))));
                   }
                   return Status::OK();
                 }));
               });
             });
           }});
  if (mode != DurabilityMode::kStrict) return;
  // Group commit: writers on disjoint runs share fdatasyncs; syncs_per_commit < 1 and
  // mean_group_size (commits per sync) show it.
  const CatalogueOptions& co = cat.options();
  for (int threads : co.group_commit_threads.empty() ? co.threads : co.group_commit_threads) {
    cat.Add({SeriesKey("durability", "group_commit", "put", engine, ml, threads), Suite::kQuick,
             Timing::kSingleShot, [open, threads](const CellContext& ctx) {
               return Bind(open(ctx), [threads](Measure& m, S& s) {
                 using P = typename Eng::Partition;
                 const uint64_t seed = m.config().cell.seed;
                 RunContended(m, *s.db, threads, [&](int t, Status* err) {
                   return [&s, err, run = SeededRun(seed, t + 1)](uint64_t i) {
                     return CountedCommit(
                         s.engine(), run,
                         [&](Txn<P>& x) {
                           x.Put(Tag::kKv, s.keys[i % kPointKeys], Value(static_cast<int64_t>(i)));
                           return Status::OK();
                         },
                         err);
                   };
                 });
               });
             }});
  }
}

// The physical limit of Strict: append 4 KiB and fdatasync, in the data directory's filesystem.
void AddDeviceFloorCell(Catalogue& cat) {
  struct File {
    explicit File(std::string dir) : dir(std::move(dir)) {}
    ~File() {
      if (fd >= 0) ::close(fd);
    }
    TempDir dir;
    int fd = -1;
    char block[4096] = {};
  };
  cat.Add({MakeKey("durability", "device", "fdatasync_4k", kDeviceEngine, kModeNotApplicable),
           Suite::kQuick, Timing::kLoop,
           [](const CellContext& ctx) -> Result<std::unique_ptr<Fixture>> {
             auto f = std::make_unique<File>(ctx.data_dir);
             std::error_code ec;
             fs::create_directories(ctx.data_dir, ec);
             const std::string path = ctx.data_dir + "/floor.dat";
             f->fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
             if (f->fd < 0) return Status::IOError("open " + path + ": " + std::strerror(errno));
             std::memset(f->block, 'x', sizeof f->block);
             return MakeFixture(std::move(f), [](Measure& m, File& f) {
               m.Loop([&](uint64_t) {
                 if (::write(f.fd, f.block, sizeof f.block) !=
                         static_cast<ssize_t>(sizeof f.block) ||
                     ::fdatasync(f.fd) != 0) [[unlikely]] {
                   m.Fail(std::string("write + fdatasync: ") + std::strerror(errno));
                 }
               });
             });
           }});
}

DbOptions WalOnlyOptions(const std::string& dir, DurabilityMode mode, Env* env);

// The bytes one Strict put of the commit cells logs (its WAL record): measured, not assumed.
template <class E>
Result<uint64_t> PutRecordBytes(const std::string& dir) {
  TempDir cleanup(dir);
  DbOptions o = WalOnlyOptions(dir, DurabilityMode::kStrict, nullptr);
  STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<Database<E>> db, (Dispatch<E, false>::Open(o)));
  STATELAB_RETURN_IF_ERROR(
      db->kv().Put(SeededRun(1), PointKeys(kPointKeys)[0], Value(int64_t{1})).status());
  const uint64_t bytes = db->Stats().wal_bytes;
  STATELAB_RETURN_IF_ERROR(db->Close());
  return bytes;
}

// How a floor cell writes a WAL-sized record durably.
enum class FloorWrite {
  kAppendFdatasync,    // what the WAL does: write(2) to an O_APPEND file, then fdatasync
  kPreallocFdatasync,  // pwrite(2) into a zero-filled, synced file (no size change), fdatasync
  kAppendODsync,       // write(2) to an O_APPEND | O_DSYNC file (the sync is in the write)
};

// Device floors for the single-writer Strict put (durability/commit/put/<engine>/strict): the
// same record size and file growth as the WAL with the WAL's sync call, and two alternatives it
// could make (docs/durability.md compares them).
template <class E>
void AddWalFloorCells(Catalogue& cat) {
  struct File {
    explicit File(std::string d) : dir(std::move(d)) {}
    ~File() {
      if (fd >= 0) ::close(fd);
    }
    TempDir dir;
    int fd = -1;
    std::string record;
    uint64_t offset = 0;
  };
  constexpr uint64_t kPrealloc = 64ull << 20;  // the default wal_segment_bytes
  const std::pair<FloorWrite, const char*> kinds[] = {
      {FloorWrite::kAppendFdatasync, "wal_append_fdatasync"},
      {FloorWrite::kPreallocFdatasync, "wal_prealloc_fdatasync"},
      {FloorWrite::kAppendODsync, "wal_append_odsync"}};
  for (const auto& entry : kinds) {
    const FloorWrite kind = entry.first;  // a variable, not a binding: clang cannot capture those
    cat.Add({MakeKey("durability", "device", entry.second, kDeviceEngine, kModeNotApplicable),
             Suite::kQuick, Timing::kLoop,
             [kind](const CellContext& ctx) -> Result<std::unique_ptr<Fixture>> {
               STATELAB_ASSIGN_OR_RETURN(uint64_t bytes, PutRecordBytes<E>(ctx.data_dir + "-probe"));
               auto f = std::make_unique<File>(ctx.data_dir);
               f->record.assign(bytes, 'x');
               std::error_code ec;
               fs::create_directories(ctx.data_dir, ec);
               const std::string path = ctx.data_dir + "/floor.wal";
               int flags = O_WRONLY | O_CREAT | O_CLOEXEC;
               if (kind != FloorWrite::kPreallocFdatasync) flags |= O_APPEND;
               if (kind == FloorWrite::kAppendODsync) flags |= O_DSYNC;
               f->fd = ::open(path.c_str(), flags, 0644);
               if (f->fd < 0) return Status::IOError("open " + path + ": " + std::strerror(errno));
               if (kind == FloorWrite::kPreallocFdatasync) {
                 const std::string zeros(1 << 20, '\0');
                 for (uint64_t off = 0; off < kPrealloc; off += zeros.size()) {
                   if (::pwrite(f->fd, zeros.data(), zeros.size(), static_cast<off_t>(off)) !=
                       static_cast<ssize_t>(zeros.size())) {
                     return Status::IOError("prealloc " + path + ": " + std::strerror(errno));
                   }
                 }
                 if (::fsync(f->fd) != 0) return Status::IOError("fsync " + path);
               }
               return MakeFixture(std::move(f), [kind, bytes](Measure& m, File& f) {
                 m.Extra("record_bytes", static_cast<double>(bytes));
                 const auto n = static_cast<ssize_t>(f.record.size());
                 m.Loop([&](uint64_t) {
                   bool ok;
                   if (kind == FloorWrite::kPreallocFdatasync) {
                     if (f.offset + f.record.size() > kPrealloc) f.offset = 0;  // wrap: stay inside
                     ok = ::pwrite(f.fd, f.record.data(), f.record.size(),
                                   static_cast<off_t>(f.offset)) == n &&
                          ::fdatasync(f.fd) == 0;
                     f.offset += f.record.size();
                   } else {
                     ok = ::write(f.fd, f.record.data(), f.record.size()) == n &&
                          (kind == FloorWrite::kAppendODsync || ::fdatasync(f.fd) == 0);
                   }
                   if (!ok) [[unlikely]] {
                     m.Fail(std::string("floor write: ") + std::strerror(errno));
                   }
                 });
               });
             }});
  }
}

// ---------------------------------------------------------------- recovery

// Options that keep every record in the WAL (no snapshot unless the cell takes one).
DbOptions WalOnlyOptions(const std::string& dir, DurabilityMode mode, Env* env) {
  DbOptions o;
  o.dir = dir;
  o.mode = mode;
  o.snapshot_wal_bytes = 0;
  o.snapshot_interval_s = 0;
  o.snapshot_on_close = false;
  o.env = env;
  return o;
}

template <class E>
struct RecoveryState {
  explicit RecoveryState(std::string d) : dir(std::move(d)) {}
  TempDir dir;
  BenchEnv env;
  DurabilityMode mode = DurabilityMode::kBuffered;
  uint64_t expect_replayed = 0;  // records a recovery must replay (0: not checked)
  bool expect_snapshot = false;
  // Kept open between ops by snapshot write and replay_run (not named `db`: the other cells have
  // no open database, so the generic engine-counter checks do not apply; each op checks itself).
  std::unique_ptr<Database<E>> live;
  std::vector<RunId> runs;
  Version until = 0;
  ~RecoveryState() {
    if (live) (void)live->Close();
  }
};

// Writes n commits of one key each, spread over 16 runs, in Buffered mode (the file contents do
// not depend on the mode; Strict would only take n syncs to write them).
template <class E>
Status WriteCommits(Database<E>& db, const std::vector<RunId>& runs, uint64_t first, uint64_t n) {
  auto kv = db.kv();
  for (uint64_t i = first; i < first + n; ++i) {
    STATELAB_RETURN_IF_ERROR(
        kv.Put(runs[i % runs.size()], PointKey(i), Value(static_cast<int64_t>(i))).status());
  }
  return db.Flush();
}

template <class E>
Status LoadKeys(Database<E>& db, const std::vector<RunId>& runs, uint64_t n) {
  const std::vector<std::string> keys = PointKeys(n);
  for (size_t r = 0; r < runs.size(); ++r) {
    const uint64_t share = n / runs.size() + (r < n % runs.size() ? 1 : 0);
    STATELAB_RETURN_IF_ERROR(BulkLoad(db, runs[r], share, [&](auto& h, uint64_t i) {
      return h.kv().Put(keys[i * runs.size() + r], Value(static_cast<int64_t>(i)));
    }));
  }
  return Status::OK();
}

template <class E>
Result<std::unique_ptr<Database<E>>> OpenDb(RecoveryState<E>& s, DurabilityMode mode) {
  return Dispatch<E, false>::Open(WalOnlyOptions(s.dir.path(), mode, &s.env));
}

// Times Open of the prepared directory (recovery), checks what it recovered, closes untimed.
template <class E>
int64_t TimedRecovery(Measure& m, RecoveryState<E>& s) {
  const harness::AllocCounts a0 = harness::ProcessAllocs();
  const int64_t t0 = harness::Timer::NowNs();
  Result<std::unique_ptr<Database<E>>> db = OpenDb(s, s.mode);
  const int64_t t1 = harness::Timer::NowNs();
  const harness::AllocCounts allocs = harness::ProcessAllocs() - a0;
  if (!db.ok()) {
    m.Fail("recovery: " + db.status().ToString());
    return t1 - t0;
  }
  if ((*db)->mode() != s.mode) {
    m.Fail("recovered engine reports mode " + std::string(ModeName((*db)->mode())));
  }
  const RecoveryReport& r = (*db)->recovery();
  if (s.expect_replayed != 0 && r.records_replayed != s.expect_replayed) {
    m.Fail("recovery replayed " + std::to_string(r.records_replayed) + " records, expected " +
           std::to_string(s.expect_replayed));
  }
  if (s.expect_snapshot && r.snapshot_used.empty()) m.Fail("recovery used no snapshot");
  m.Extra("records_replayed", static_cast<double>(r.records_replayed));
  // Allocations of the open alone (allocs_per_op also counts the untimed close), for a WAL-only
  // recovery (a snapshot load would be counted in).
  if (r.records_replayed > 0 && r.snapshot_used.empty() && harness::AllocCountingEnabled()) {
    m.Extra("allocs_per_replayed_record",
            static_cast<double>(allocs.allocs) / static_cast<double>(r.records_replayed));
  }
  m.Extra("recovery_report_ms", r.time_ms);
  Check(m, (*db)->Close());
  return t1 - t0;
}

enum class RecOp {
  kWalReplay,
  kWalFloor,
  kSnapshotWrite,
  kSnapshotLoad,
  kSnapshotWal,
  kReplayRun,
  kDiffRuns
};

// The floor of WAL replay: reads every segment under the data directory (every WAL root) the
// way recovery does and checks each frame's CRC, nothing else (no decode, no apply).
int64_t TimedWalFloor(Measure& m, const std::string& dir, uint64_t expect_frames) {
  std::vector<std::string> paths;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->path().parent_path().filename() == "wal") paths.push_back(it->path().string());
  }
  std::sort(paths.begin(), paths.end());
  Env* env = Env::Default();
  SegmentImage seg;
  uint64_t frames = 0;
  const int64_t t0 = harness::Timer::NowNs();
  for (const std::string& p : paths) {
    Check(m, ReadSegment(env, p, &seg));
    wal::Frame f;
    for (uint64_t off = seg.header.first_frame; wal::ParseFrame(seg.data, off, &f); off += f.size) {
      ++frames;
    }
  }
  const int64_t t1 = harness::Timer::NowNs();
  if (frames != expect_frames) {
    m.Fail("floor read " + std::to_string(frames) + " frames, expected " +
           std::to_string(expect_frames));
  }
  return t1 - t0;
}

// Recovery ops time a fresh Open of a prepared directory; the others run on a database kept open.
bool KeepsDatabaseOpen(RecOp op) {
  return op == RecOp::kSnapshotWrite || op == RecOp::kReplayRun || op == RecOp::kDiffRuns;
}
// replay_run and diff_runs also work in inmemory mode (on the current state: no history).
bool NeedsFiles(RecOp op) { return op != RecOp::kReplayRun && op != RecOp::kDiffRuns; }

template <class E>
Status PrepareLive(RecoveryState<E>& s, RecOp op, uint64_t n) {
  Database<E>& db = *s.live;
  switch (op) {
    case RecOp::kSnapshotWrite:
      return LoadKeys(db, s.runs, n);
    case RecOp::kReplayRun: {
      // n events, 256 per transaction.
      const boost::json::value payload = EventPayload();
      return BulkLoad(
          db, s.runs[0], n,
          [&](auto& h, uint64_t) { return h.events().Append("step", payload).status(); }, 256);
    }
    case RecOp::kDiffRuns: {
      // Two runs of n KV keys; every tenth value differs.
      const std::vector<std::string> keys = PointKeys(n);
      for (int r = 0; r < 2; ++r) {
        STATELAB_RETURN_IF_ERROR(BulkLoad(db, s.runs[r], n, [&](auto& h, uint64_t i) {
          const int64_t v = r == 1 && i % 10 == 0 ? -1 : static_cast<int64_t>(i);
          return h.kv().Put(keys[i], Value(v));
        }));
      }
      return Status::OK();
    }
    default:
      return Status::InvalidArgument("op: not a live-database op");
  }
}

template <class E>
Result<std::unique_ptr<RecoveryState<E>>> PrepareRecovery(const CellContext& ctx, RecOp op,
                                                          DurabilityMode mode, uint64_t n) {
  auto s = std::make_unique<RecoveryState<E>>(ctx.data_dir);
  s->mode = mode;
  for (uint64_t r = 0; r < 16; ++r) s->runs.push_back(SeededRun(ctx.seed, r));
  if (KeepsDatabaseOpen(op)) {
    STATELAB_ASSIGN_OR_RETURN(s->live, OpenDb(*s, mode));
    if (s->live->mode() != mode) {
      return Status::InvalidArgument("mode: engine reports " +
                                     std::string(ModeName(s->live->mode())));
    }
    STATELAB_RETURN_IF_ERROR(PrepareLive(*s, op, n));
    return s;
  }
  // Written in Buffered mode: the files do not depend on the mode (Strict would only take n
  // syncs to write them); recovery then opens them in the cell's mode.
  STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<Database<E>> db, OpenDb(*s, DurabilityMode::kBuffered));
  if (op == RecOp::kWalReplay || op == RecOp::kWalFloor) {
    STATELAB_RETURN_IF_ERROR(WriteCommits(*db, s->runs, 0, n));
    s->expect_replayed = n;
  } else {
    STATELAB_RETURN_IF_ERROR(LoadKeys(*db, s->runs, n));
    STATELAB_RETURN_IF_ERROR(db->Snapshot());
    s->expect_snapshot = true;
    if (op == RecOp::kSnapshotWal) {
      STATELAB_RETURN_IF_ERROR(WriteCommits(*db, s->runs, n, n / 10));
      s->expect_replayed = n / 10;
    }
  }
  STATELAB_RETURN_IF_ERROR(db->Close());
  return s;
}

template <class E>
int64_t RunRecoveryOp(RecOp op, uint64_t i, uint64_t n, Measure& m, RecoveryState<E>& s) {
  switch (op) {
    case RecOp::kWalReplay:
    case RecOp::kSnapshotLoad:
    case RecOp::kSnapshotWal:
      return TimedRecovery(m, s);
    case RecOp::kWalFloor:
      return TimedWalFloor(m, s.dir.path(), n);
    case RecOp::kSnapshotWrite: {
      // A commit since the last snapshot, so each op writes a new one.
      Check(m, s.live->kv().Put(s.runs[0], "tick", Value(static_cast<int64_t>(i))));
      const int64_t t0 = harness::Timer::NowNs();
      Check(m, s.live->Snapshot());
      const int64_t t1 = harness::Timer::NowNs();
      m.Extra("snapshot_dir_bytes", static_cast<double>(TreeBytes(s.dir.path(), "snapshots")));
      return t1 - t0;
    }
    case RecOp::kReplayRun: {
      const int64_t t0 = harness::Timer::NowNs();
      Result<std::unique_ptr<RunView>> view = ReplayRun(*s.live, s.runs[0]);
      const int64_t t1 = harness::Timer::NowNs();
      if (!view.ok()) {
        m.Fail("replay_run: " + view.status().ToString());
        return t1 - t0;
      }
      Result<uint64_t> len = (*view)->db().events().Len(s.runs[0]);
      if (!len.ok() || *len != n) m.Fail("replay_run view lacks the run's events");
      return t1 - t0;  // the view is destroyed untimed
    }
    case RecOp::kDiffRuns: {
      const int64_t t0 = harness::Timer::NowNs();
      Result<RunDiff> diff = DiffRuns(*s.live, s.runs[0], s.runs[1]);
      const int64_t t1 = harness::Timer::NowNs();
      if (!diff.ok() || diff->kv.size() != (n + 9) / 10) {
        m.Fail("diff_runs: " + (diff.ok() ? std::to_string(diff->kv.size()) + " kv changes"
                                          : diff.status().ToString()));
      }
      return t1 - t0;
    }
  }
  return 0;
}

template <class E>
void AddRecoveryCells(Catalogue& cat, DurabilityMode mode) {
  struct RecDef {
    RecOp op;
    const char* group;
    const char* name;
    std::vector<std::pair<uint64_t, Suite>> sizes;
  };
  const RecDef defs[] = {
      {RecOp::kWalReplay,
       "wal",
       "replay",
       {{10000, Suite::kQuick}, {100000, Suite::kStandard}, {1000000, Suite::kStandard}}},
      {RecOp::kWalFloor,
       "wal",
       "read_crc_floor",
       {{10000, Suite::kQuick}, {100000, Suite::kStandard}, {1000000, Suite::kStandard}}},
      {RecOp::kSnapshotWrite,
       "snapshot",
       "write",
       {{100000, Suite::kQuick}, {1000000, Suite::kStandard}}},
      {RecOp::kSnapshotLoad,
       "snapshot",
       "load",
       {{100000, Suite::kQuick}, {1000000, Suite::kStandard}}},
      {RecOp::kSnapshotWal,
       "recovery",
       "snapshot_wal",
       {{100000, Suite::kQuick}, {1000000, Suite::kStandard}}},
      {RecOp::kReplayRun,
       "replay",
       "replay_run",
       {{1000, Suite::kQuick}, {10000, Suite::kStandard}}},
      {RecOp::kDiffRuns, "replay", "diff_runs", {{1000, Suite::kQuick}}},
  };
  const std::string engine(E::kName);
  const std::string_view ml = ModeName(mode);
  for (const RecDef& d : defs) {
    for (const auto& [n, suite] : d.sizes) {
      harness::Params p = P({{"n", static_cast<double>(n)}});
      if (d.op == RecOp::kSnapshotWal) {
        const uint64_t wal = n / 10;  // whole commits, logged after the snapshot
        p["wal"] = static_cast<double>(wal);
      }
      CellKey key = MakeKey("recovery", d.group, d.name, engine, ml, std::move(p));
      if (mode == DurabilityMode::kInMemory && NeedsFiles(d.op)) {
        cat.Skip(std::move(key), suite, "inmemory keeps no files: nothing to recover or snapshot");
        continue;
      }
      const RecOp op = d.op;
      const uint64_t size = n;
      cat.Add({std::move(key), suite, Timing::kManual, [op, mode, size](const CellContext& ctx) {
                 return Bind(
                     PrepareRecovery<E>(ctx, op, mode, size),
                     [op, size](Measure& m, RecoveryState<E>& s) {
                       m.Timed([&](uint64_t i) { return RunRecoveryOp(op, i, size, m, s); });
                     });
               }});
    }
  }
}

// ---------------------------------------------------------------- memory

size_t HeapInUse() {
  const struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

size_t RssBytes() {
  std::ifstream f("/proc/self/statm");
  size_t pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * static_cast<size_t>(::sysconf(_SC_PAGESIZE));
}

struct MemoryState {
  explicit MemoryState(std::string d) : root(std::move(d)) {}
  TempDir root;
  uint64_t call = 0;
};

// Each call loads a fresh database with n items and measures what the load left on the heap.
template <class E, class Load>
int64_t MeasureFootprint(Measure& m, MemoryState& st, DurabilityMode mode, uint64_t n,
                         const char* per, Load&& load) {
  const std::string dir = st.root.path() + "/" + std::to_string(st.call++);
  TempDir cleanup(dir);
  BenchEnv env;
  DbOptions o = WalOnlyOptions(dir, mode, &env);
  Result<std::unique_ptr<Database<E>>> db = Dispatch<E, false>::Open(o);
  if (!db.ok()) {
    m.Fail(db.status().ToString());
    return 1;
  }
  if ((*db)->mode() != mode) m.Fail("engine reports mode " + std::string(ModeName((*db)->mode())));
  const RunId run = SeededRun(m.config().cell.seed);
  ::malloc_trim(0);
  const size_t heap0 = HeapInUse(), rss0 = RssBytes();
  const harness::AllocCounts a0 = harness::ProcessAllocs();
  const int64_t t0 = harness::Timer::NowNs();
  Check(m, load(**db, run));
  const int64_t t1 = harness::Timer::NowNs();
  const harness::AllocCounts a1 = harness::ProcessAllocs();
  const size_t heap1 = HeapInUse(), rss1 = RssBytes();
  const double dn = static_cast<double>(n);
  m.RecordRegion(n, t1 - t0, a1 - a0);
  m.Extra(std::string("bytes_per_") + per,
          (static_cast<double>(heap1) - static_cast<double>(heap0)) / dn);
  m.Extra(std::string("rss_bytes_per_") + per,
          (static_cast<double>(rss1) - static_cast<double>(rss0)) / dn);
  if (mode != DurabilityMode::kInMemory) {
    m.Extra(std::string("wal_bytes_per_") + per,
            static_cast<double>((*db)->Stats().wal_bytes) / dn);
    Check(m, (*db)->Snapshot());
    m.Extra(std::string("snapshot_bytes_per_") + per,
            static_cast<double>(TreeBytes(dir, "snapshots")) / dn);
  }
  Check(m, (*db)->Close());
  if (mode == DurabilityMode::kInMemory && env.file_ops() > 0) {
    m.Fail("a cell labelled inmemory made " + std::to_string(env.file_ops()) + " file operations");
  }
  return t1 - t0;
}

template <class E>
void AddMemoryCells(Catalogue& cat, DurabilityMode mode) {
  const std::string engine(E::kName);
  const std::string_view ml = ModeName(mode);
  for (const auto& [count, suite] : {std::pair<uint64_t, Suite>{100000, Suite::kStandard},
                                     std::pair<uint64_t, Suite>{1000000, Suite::kStandard}}) {
    const uint64_t n = count;  // a local, not a binding: the lambdas below capture it
    cat.Add({MakeKey("memory", "kv", "bytes_per_key", engine, ml, P({{"n", double(n)}})), suite,
             Timing::kSingleShot,
             [mode, n](const CellContext& ctx) -> Result<std::unique_ptr<Fixture>> {
               return MakeFixture(std::make_unique<MemoryState>(ctx.data_dir),
                                  [mode, n](Measure& m, MemoryState& st) {
                                    m.Once([&] {
                                      return MeasureFootprint<E>(
                                          m, st, mode, n, "key", [&](auto& db, const RunId& run) {
                                            return LoadPointKeys(db, run, PointKeys(n));
                                          });
                                    });
                                  });
             },
             3});
  }
  constexpr uint64_t kVectors = 10000;
  constexpr uint32_t kDim = 128;
  cat.Add({MakeKey("memory", "vector", "bytes_per_vector", engine, ml,
                   P({{"n", double(kVectors)}, {"dim", double(kDim)}})),
           Suite::kStandard, Timing::kSingleShot,
           [mode](const CellContext& ctx) -> Result<std::unique_ptr<Fixture>> {
             return MakeFixture(
                 std::make_unique<MemoryState>(ctx.data_dir), [mode](Measure& m, MemoryState& st) {
                   const auto vectors = RandomVectors(kSampleVectors, kDim, m.config().cell.seed);
                   const std::vector<std::string> keys = workloads::KeyNames("v", kVectors, 8);
                   m.Once([&] {
                     return MeasureFootprint<E>(
                         m, st, mode, kVectors, "vector",
                         [&](auto& db, const RunId& run) -> Status {
                           STATELAB_RETURN_IF_ERROR(
                               db.vectors()
                                   .CreateCollection(run, "emb", kDim, VectorMetric::kCosine)
                                   .status());
                           return BulkLoad(db, run, kVectors, [&](auto& h, uint64_t i) {
                             return h.vectors().Upsert("emb", keys[i], vectors[i % kSampleVectors]);
                           });
                         });
                   });
                 });
           },
           3});
}

}  // namespace

void AddDurabilityTiers(Catalogue& cat) {
  ForEachEngine(cat, [&]<class E>() {
    for (DurabilityMode mode : cat.Modes()) AddCommitCells<Dispatch<E, false>>(cat, mode);
  });
  if (cat.EngineSelected(kDeviceEngine)) {
    AddDeviceFloorCell(cat);
    AddWalFloorCells<BTreeEngine>(cat);  // the record is the same in every engine
  }
  ForEachEngine(cat, [&]<class E>() {
    for (DurabilityMode mode : cat.Modes()) AddRecoveryCells<E>(cat, mode);
  });
  ForEachEngine(cat, [&]<class E>() {
    for (DurabilityMode mode : cat.Modes()) AddMemoryCells<E>(cat, mode);
  });
}

}  // namespace statelab::bench
