// Recovery, snapshots, modes and controls, typed over every engine x durable mode (plus the
// InMemory promise): corrupt snapshots fall back, mid-log corruption names file and offset, torn
// tails are cut and reported, fault injection gives a prefix of history with every durable
// commit, group commit shares syncs, close joins every thread.
#include <atomic>
#include <chrono>
#include <fstream>
#include <random>
#include <thread>

#include "engines/durability/fault_injection_env.h"
#include "engines/durability/snapshot_format.h"
#include "engines/replay/replay.h"
#include "tests/durability/workload.h"

namespace statelab::testing_util {
namespace {

template <class C>
class DurableTest : public ModeTest {
 public:  // RunFault drives the fixture from outside
  using E = typename C::Engine;
  using Db = Database<E>;

  void SetUp() override {
    dir_ = MakeTempDir("durability");
    opts_.mode = this->mode();
    opts_.dir = dir_;
    opts_.engine = std::string(E::kName);
    opts_.snapshot_on_close = false;
    opts_.snapshot_wal_bytes = 0;
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  Status Open() {
    db_.reset();
    auto r = Db::Open(opts_);
    if (!r.ok()) return r.status();
    db_ = std::move(r).value();
    return Status::OK();
  }
  void Ticks(int64_t from, int64_t to) {
    for (int64_t n = from; n <= to; ++n) ASSERT_OK(CommitTick(*db_, n));
  }
  // The WAL root holding the workload run: <dir>, or <dir>/worker-N for shared_nothing.
  std::string root() const { return DataRoot(dir_); }
  std::string wal_dir() const { return root() + "/wal"; }
  std::string snap_dir() const { return root() + "/snapshots"; }
  // The only WAL segment that holds records.
  std::string OnlySegment() {
    std::string found;
    for (const std::string& n : ListNames(wal_dir(), ".wal")) {
      if (HoldsRecords(wal_dir() + "/" + n)) {
        EXPECT_TRUE(found.empty()) << "several non-empty segments";
        found = wal_dir() + "/" + n;
      }
    }
    EXPECT_FALSE(found.empty());
    return found;
  }

  DbOptions opts_;
  std::string dir_;
  std::unique_ptr<Db> db_;
};
ENGINE_TEST_SUITE(DurableTest, ModeSet::kDurable);

ENGINE_TEST(DurableTest, ReopenRecoversEverythingAndReportsIt) {
  ASSERT_OK(this->Open());
  this->Ticks(1, 25);
  const TickState before = ReadTicks(*this->db_);
  ASSERT_OK(this->db_->Close());
  ASSERT_OK(this->Open());
  const RecoveryReport& rep = this->db_->recovery();
  EXPECT_GE(rep.records_replayed, 25u);
  EXPECT_EQ(rep.bytes_truncated, 0u);
  EXPECT_EQ(rep.records_skipped, 0u);
  EXPECT_TRUE(rep.snapshot_used.empty());
  TickState after = ReadTicks(*this->db_);
  EXPECT_EQ(after, before);
  EXPECT_EQ(after.counter, 25);
  EXPECT_TRUE(after.consistent());
  // The version counter continues after the recovered one.
  Result<Version> v = CommitTick(*this->db_, 26);
  ASSERT_OK(v);
  EXPECT_GT(*v, before.counter_version);
}

ENGINE_TEST(DurableTest, SnapshotsKeepTwoPruneTheLogAndRecoverWithoutFullReplay) {
  this->opts_.wal_segment_bytes = 2048;  // many small segments
  ASSERT_OK(this->Open());
  for (int round = 0; round < 3; ++round) {
    this->Ticks(round * 20 + 1, round * 20 + 20);
    ASSERT_OK(this->db_->Flush());  // Buffered: segments appear when the log is written
    ASSERT_OK(this->db_->Snapshot());
  }
  this->Ticks(61, 70);
  ASSERT_OK(this->db_->Flush());
  std::vector<std::string> snaps = ListNames(this->snap_dir(), ".snap");
  ASSERT_EQ(snaps.size(), 2u);
  Version oldest = 0, newest = 0;
  ASSERT_TRUE(snapshot::ParseFileName(snaps[0], &oldest));
  ASSERT_TRUE(snapshot::ParseFileName(snaps[1], &newest));
  // Segments fully covered by the oldest kept snapshot are gone; the first remaining one may
  // still hold records the oldest snapshot needs.
  std::vector<std::string> segs = ListNames(this->wal_dir(), ".wal");
  ASSERT_GE(segs.size(), 2u);
  Version first = 0, second = 0;
  ASSERT_TRUE(wal::ParseSegmentName(segs[0], &first));
  ASSERT_TRUE(wal::ParseSegmentName(segs[1], &second));
  EXPECT_GT(first, 1u);
  EXPECT_GT(second, oldest + 1);
  ASSERT_OK(this->db_->Close());
  ASSERT_OK(this->Open());
  const RecoveryReport& rep = this->db_->recovery();
  EXPECT_NE(rep.snapshot_used.find(snaps[1]), std::string::npos) << rep.snapshot_used;
  EXPECT_EQ(rep.snapshot_version, newest);
  EXPECT_EQ(rep.records_replayed, 10u);
  TickState s = ReadTicks(*this->db_);
  EXPECT_EQ(s.counter, 70);
  EXPECT_TRUE(s.consistent()) << s;
}

ENGINE_TEST(DurableTest, CorruptNewestSnapshotFallsBackToTheOlderOne) {
  ASSERT_OK(this->Open());
  this->Ticks(1, 20);
  ASSERT_OK(this->db_->Snapshot());
  this->Ticks(21, 40);
  ASSERT_OK(this->db_->Snapshot());
  this->Ticks(41, 50);
  ASSERT_OK(this->db_->Close());
  std::vector<std::string> snaps = ListNames(this->snap_dir(), ".snap");
  ASSERT_EQ(snaps.size(), 2u);
  const std::string newest = this->snap_dir() + "/" + snaps[1];
  std::string data = ReadAll(newest);
  data[data.size() / 2] ^= 0x40;
  WriteAll(newest, data);

  ASSERT_OK(this->Open());
  const RecoveryReport& rep = this->db_->recovery();
  EXPECT_NE(rep.snapshot_used.find(snaps[0]), std::string::npos) << rep.snapshot_used;
  ASSERT_EQ(rep.notes.size(), 1u);
  EXPECT_NE(rep.notes[0].find(snaps[1] + " is corrupt"), std::string::npos) << rep.notes[0];
  TickState s = ReadTicks(*this->db_);
  EXPECT_EQ(s.counter, 50);
  EXPECT_TRUE(s.consistent()) << s;
}

ENGINE_TEST(DurableTest, FlippedByteMidLogIsCorruptionWithFileAndOffset) {
  ASSERT_OK(this->Open());
  this->Ticks(1, 30);
  ASSERT_OK(this->db_->Close());
  this->db_.reset();
  const std::string seg = this->OnlySegment();
  std::string data = SegmentData(seg);
  std::vector<wal::Frame> frames = Frames(data);
  ASSERT_EQ(frames.size(), 30u);
  const wal::Frame bad = frames[15];
  const uint64_t at = bad.offset + wal::kHeaderBytes + bad.payload.size() / 2;
  Overwrite(seg, at, std::string(1, static_cast<char>(data[at] ^ 0x01)));

  Status s = this->Open();
  EXPECT_EQ(s.code(), Code::kCorruption) << s.ToString();
  EXPECT_EQ(s.message(), seg);
  EXPECT_EQ(s.a(), bad.offset);
  // Opting into skipping opens, skips exactly that record and says so.
  this->opts_.recovery_policy = RecoveryPolicy::kSkipCorrupt;
  ASSERT_OK(this->Open());
  const RecoveryReport& rep = this->db_->recovery();
  EXPECT_EQ(rep.records_skipped, 1u);
  EXPECT_EQ(rep.records_replayed, 29u);
  EXPECT_EQ(rep.bytes_truncated, 0u);
  ASSERT_EQ(rep.notes.size(), 1u);
  EXPECT_NE(rep.notes[0].find("offset " + std::to_string(bad.offset)), std::string::npos);
  EXPECT_EQ(ReadTicks(*this->db_).counter, 30);
}

ENGINE_TEST(DurableTest, TruncatedTailIsCutReportedAndRecoveryIsIdempotent) {
  ASSERT_OK(this->Open());
  this->Ticks(1, 30);
  ASSERT_OK(this->db_->Close());
  this->db_.reset();
  const std::string seg = this->OnlySegment();
  std::string data = SegmentData(seg);
  ASSERT_FALSE(Frames(data).empty());
  const wal::Frame last = Frames(data).back();
  // A torn append to a preallocated segment: the record's last bytes never reached the disk.
  Overwrite(seg, last.offset + last.size - 5, std::string(5, '\0'));
  data = SegmentData(seg);  // ends at the last byte written

  ASSERT_OK(this->Open());
  EXPECT_EQ(this->db_->recovery().bytes_truncated, data.size() - last.offset);
  EXPECT_EQ(this->db_->recovery().records_replayed, 29u);
  ASSERT_EQ(this->db_->recovery().notes.size(), 1u);
  const TickState first = ReadTicks(*this->db_);
  EXPECT_EQ(first.counter, 29);
  EXPECT_TRUE(first.consistent()) << first;
  EXPECT_EQ(SegmentData(seg).size(), last.offset);  // zeros from the torn record on
  this->db_.reset();
  ASSERT_OK(this->Open());
  EXPECT_EQ(this->db_->recovery().bytes_truncated, 0u);
  EXPECT_EQ(ReadTicks(*this->db_), first);
}

// Continuity (issue 23): a non-last segment cut exactly at a record boundary looks whole; the
// next segment's name (the version it begins after) shows the hole, and open refuses naming both
// files and the missing versions. skip-corrupt opens and lists the gap.
ENGINE_TEST(DurableTest, NonLastSegmentCutAtARecordBoundaryIsAGapNamingBothFiles) {
  this->opts_.wal_segment_bytes = 4096;  // several records per segment
  ASSERT_OK(this->Open());
  this->Ticks(1, 30);
  ASSERT_OK(this->db_->Close());
  this->db_.reset();
  std::vector<std::string> segs;
  for (const std::string& n : ListNames(this->wal_dir(), ".wal")) {
    if (HoldsRecords(this->wal_dir() + "/" + n)) segs.push_back(this->wal_dir() + "/" + n);
  }
  ASSERT_GE(segs.size(), 3u);
  const std::string data = SegmentData(segs[0]);
  const std::vector<wal::Frame> frames = Frames(data);
  ASSERT_GE(frames.size(), 3u);
  // The last two records go, the file keeping its size (a shorter file is refused as cut
  // before continuity is looked at: LastSegmentCutAtARecordBoundaryIsRefused).
  const uint64_t from = frames[frames.size() - 2].offset;
  Overwrite(segs[0], from, std::string(data.size() - from, '\0'));
  wal::CommitRecord last_kept, first_cut;
  ASSERT_TRUE(wal::DecodeCommit(frames[frames.size() - 3].payload, &last_kept));
  ASSERT_TRUE(wal::DecodeCommit(frames[frames.size() - 2].payload, &first_cut));
  Version next = 0;
  ASSERT_TRUE(wal::ParseSegmentName(segs[1].substr(segs[1].rfind('/') + 1), &next));

  Status s = this->Open();
  ASSERT_EQ(s.code(), Code::kCorruption) << s.ToString();
  const std::string text = s.ToString();
  EXPECT_NE(text.find(segs[0]), std::string::npos) << text;
  EXPECT_NE(text.find(segs[1]), std::string::npos) << text;
  EXPECT_NE(text.find("versions " + std::to_string(last_kept.version + 1) + ".." +
                      std::to_string(next - 1) + " missing"),
            std::string::npos)
      << text;
  EXPECT_EQ(s.a(), frames[frames.size() - 2].offset);  // where the missing records were

  this->opts_.recovery_policy = RecoveryPolicy::kSkipCorrupt;
  ASSERT_OK(this->Open());
  const RecoveryReport& rep = this->db_->recovery();
  ASSERT_EQ(rep.losses.size(), 1u);
  EXPECT_EQ(rep.losses[0].what, "gap");
  EXPECT_EQ(rep.losses[0].after, last_kept.version);
  EXPECT_GE(rep.losses[0].before, next);
  EXPECT_EQ(ReadTicks(*this->db_).counter, 30);
  // The run's history (replay) cannot be rebuilt across the gap: Corruption naming it.
  Result<std::unique_ptr<RunView>> view = ReplayRun(*this->db_, WorkloadRun());
  ASSERT_FALSE(view.ok());
  EXPECT_EQ(view.error().code(), Code::kCorruption);
  EXPECT_NE(view.error().ToString().find(segs[1]), std::string::npos) << view.error().ToString();
}

// Issue 23: a segment is preallocated and its size synced before any record goes in, so a last
// segment cut exactly at a record boundary (which looks like a log that ended there) is told from
// a crash: strict refuses naming the file, its length and the size it was created with;
// truncate-tail opens the prefix and lists the cut, after which the segment has its size back.
ENGINE_TEST(DurableTest, LastSegmentCutAtARecordBoundaryIsRefused) {
  this->opts_.wal_segment_bytes = 64 << 10;
  ASSERT_OK(this->Open());
  this->Ticks(1, 20);
  ASSERT_OK(this->db_->Close());
  this->db_.reset();
  const std::string seg = this->OnlySegment();
  const std::vector<wal::Frame> frames = Frames(SegmentData(seg));
  ASSERT_EQ(frames.size(), 20u);
  const uint64_t size = std::filesystem::file_size(seg);
  const uint64_t cut = frames[17].offset;  // the last three records go
  std::filesystem::resize_file(seg, cut);

  Status s = this->Open();
  ASSERT_EQ(s.code(), Code::kCorruption) << s.ToString();
  const std::string text = s.ToString();
  EXPECT_NE(text.find(seg + " is " + std::to_string(cut) + " bytes, shorter than the " +
                      std::to_string(size)),
            std::string::npos)
      << text;
  EXPECT_EQ(s.a(), cut);

  this->opts_.recovery_policy = RecoveryPolicy::kTruncateTail;
  ASSERT_OK(this->Open());
  const RecoveryReport& rep = this->db_->recovery();
  ASSERT_EQ(rep.losses.size(), 1u);
  EXPECT_EQ(rep.losses[0].what, "cut_tail");
  EXPECT_EQ(rep.losses[0].file, seg);
  EXPECT_EQ(rep.losses[0].offset, cut);
  EXPECT_EQ(rep.losses[0].bytes, size - cut);
  EXPECT_EQ(ReadTicks(*this->db_).counter, 17);
  this->db_.reset();
  EXPECT_EQ(std::filesystem::file_size(seg), size);
  this->opts_.recovery_policy = RecoveryPolicy::kStrict;
  ASSERT_OK(this->Open());  // what truncate-tail accepted is the log now
  EXPECT_EQ(ReadTicks(*this->db_).counter, 17);
}

// Issue 23: with one snapshot kept, a corrupt snapshot is bypassed only when the log reaches back
// to the start; the log is therefore kept until a second valid snapshot exists. When it does not
// (the first segment is gone), open refuses naming the snapshot and the damaged offset.
ENGINE_TEST(DurableTest, OnlySnapshotCorruptIsBypassedOnlyWhenTheLogCoversIt) {
  this->opts_.wal_segment_bytes = 2048;
  ASSERT_OK(this->Open());
  this->Ticks(1, 30);
  ASSERT_OK(this->db_->Snapshot());
  this->Ticks(31, 35);
  ASSERT_OK(this->db_->Close());
  this->db_.reset();
  const std::vector<std::string> segs = ListNames(this->wal_dir(), ".wal");
  ASSERT_GE(segs.size(), 3u);
  Version first = 0;
  ASSERT_TRUE(wal::ParseSegmentName(segs[0], &first));
  EXPECT_EQ(first, 1u) << "one snapshot: nothing may be pruned yet";
  const std::vector<std::string> snaps = ListNames(this->snap_dir(), ".snap");
  ASSERT_EQ(snaps.size(), 1u);
  const std::string snap = this->snap_dir() + "/" + snaps[0];
  std::string data = ReadAll(snap);
  data[data.size() / 2] ^= 0x10;
  WriteAll(snap, data);

  ASSERT_OK(this->Open());  // the log from version 1 covers the snapshot
  // (snapshot_used also names the other shared_nothing workers' snapshots, of the same name.)
  bool bypassed = false;
  for (const std::string& n : this->db_->recovery().notes) {
    bypassed |= n.find(snap) != std::string::npos && n.find("bypassed") != std::string::npos;
  }
  EXPECT_TRUE(bypassed);
  EXPECT_EQ(ReadTicks(*this->db_).counter, 35);
  this->db_.reset();

  std::filesystem::remove(this->wal_dir() + "/" + segs[0]);  // as the old pruning did
  Status s = this->Open();
  ASSERT_EQ(s.code(), Code::kCorruption) << s.ToString();
  EXPECT_NE(s.ToString().find(snap), std::string::npos) << s.ToString();
  EXPECT_LE(s.a(), data.size());

  this->opts_.recovery_policy = RecoveryPolicy::kSkipCorrupt;
  ASSERT_OK(this->Open());
  bool listed = false;
  for (const RecoveryLoss& l : this->db_->recovery().losses) listed |= l.what == "snapshot";
  EXPECT_TRUE(listed);
}

// Damage to records the snapshot in use holds loses nothing: open succeeds, and says so.
ENGINE_TEST(DurableTest, DamageTheSnapshotCoversDoesNotRefuse) {
  ASSERT_OK(this->Open());
  this->Ticks(1, 20);
  ASSERT_OK(this->db_->Snapshot());
  this->Ticks(21, 25);
  ASSERT_OK(this->db_->Close());
  this->db_.reset();
  const std::string seg = this->OnlySegment();
  std::string data = SegmentData(seg);
  const std::vector<wal::Frame> frames = Frames(data);
  ASSERT_EQ(frames.size(), 25u);
  const uint64_t at = frames[5].offset + wal::kHeaderBytes + 3;
  Overwrite(seg, at, std::string(1, static_cast<char>(data[at] ^ 0x01)));
  ASSERT_OK(this->Open());
  const RecoveryReport& rep = this->db_->recovery();
  ASSERT_EQ(rep.losses.size(), 1u);
  EXPECT_EQ(rep.losses[0].what, "covered");
  EXPECT_EQ(rep.losses[0].offset, frames[5].offset);
  EXPECT_EQ(ReadTicks(*this->db_).counter, 25);
  // Replay reads the same history: the snapshot, then the log past the damage.
  Result<std::unique_ptr<RunView>> view = ReplayRun(*this->db_, WorkloadRun());
  ASSERT_OK(view);
  EXPECT_EQ(ReadTicks((*view)->db()).counter, 25);
}

// A complete last record that fails its CRC was written whole (a crash leaves a prefix): strict
// refuses rather than cut what may be an acknowledged commit; truncate-tail cuts and lists it.
ENGINE_TEST(DurableTest, DamagedCompleteLastRecordIsRefusedNotCut) {
  ASSERT_OK(this->Open());
  this->Ticks(1, 10);
  ASSERT_OK(this->db_->Close());
  this->db_.reset();
  const std::string seg = this->OnlySegment();
  std::string data = SegmentData(seg);
  const wal::Frame last = Frames(data).back();
  const uint64_t at = last.offset + wal::kHeaderBytes + 2;
  Overwrite(seg, at, std::string(1, static_cast<char>(data[at] ^ 0x04)));
  Status s = this->Open();
  EXPECT_EQ(s.code(), Code::kCorruption) << s.ToString();
  EXPECT_EQ(s.message(), seg);
  EXPECT_EQ(s.a(), last.offset);
  this->opts_.recovery_policy = RecoveryPolicy::kTruncateTail;
  ASSERT_OK(this->Open());
  const RecoveryReport& rep = this->db_->recovery();
  ASSERT_EQ(rep.losses.size(), 1u);
  EXPECT_EQ(rep.losses[0].what, "cut_tail");
  ASSERT_EQ(rep.losses[0].records.size(), 1u);  // decoded from the damaged bytes
  EXPECT_FALSE(rep.losses[0].records[0].verified);
  EXPECT_EQ(rep.losses[0].records[0].run, WorkloadRun());
  EXPECT_EQ(ReadTicks(*this->db_).counter, 9);
}

// The same damage to a last record whose CRC ends in a zero byte (1 record in 256): the zeros
// after the log are trimmed as never written, which leaves the frame short of its length; it is
// still damage (the CRC bytes that are there do not match the payload), not a torn append.
ENGINE_TEST(DurableTest, DamagedLastRecordEndingInZeroIsRefusedNotCut) {
  if (this->mode() != DurabilityMode::kBuffered) GTEST_SKIP() << "one durable mode suffices";
  ASSERT_OK(this->Open());
  std::string seg;
  uint64_t next = 0;  // where unread records begin: each tick reads only its own (about 256 ticks)
  uint64_t off = 0;   // of the newest record
  std::string rec;
  wal::Frame f;
  for (int64_t n = 1; n <= 4096 && (rec.empty() || rec.back() != '\0'); ++n) {
    this->Ticks(n, n);
    if (seg.empty()) {
      seg = this->OnlySegment();
      next = Frames(SegmentData(seg)).front().offset;
    }
    std::ifstream in(seg, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(next));
    std::string tail(64 << 10, '\0');
    in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
    for (uint64_t at = 0; wal::ParseFrame(tail, at, &f); at += f.size) {
      off = next + at;
      rec = tail.substr(at, f.size);
    }
    ASSERT_FALSE(rec.empty()) << "tick " << n;
    next = off + rec.size();
  }
  ASSERT_EQ(rec.back(), '\0');
  ASSERT_OK(this->db_->Close());
  this->db_.reset();
  EXPECT_EQ(Frames(SegmentData(seg)).back().offset, off) << "the record checked is the last";
  const uint64_t at = off + wal::kHeaderBytes + 2;
  Overwrite(seg, at, std::string(1, static_cast<char>(rec[wal::kHeaderBytes + 2] ^ 0x04)));
  const Status s = this->Open();
  EXPECT_EQ(s.code(), Code::kCorruption) << s.ToString();
  EXPECT_EQ(s.a(), off);
}

ENGINE_TEST(DurableTest, OpenRunsAreReported) {
  ASSERT_OK(this->Open());
  auto runs = this->db_->runs();
  ASSERT_OK(runs.CreateRun("ended"));
  Result<RunId> open_run = runs.CreateRun("still-open");
  ASSERT_OK(open_run);
  ASSERT_OK(runs.UpdateStatus("ended", RunStatus::kCompleted));
  ASSERT_OK(this->db_->Snapshot());  // one begin before the snapshot, one after
  Result<RunId> late = runs.CreateRun("late");
  ASSERT_OK(late);
  ASSERT_OK(this->db_->Close());
  ASSERT_OK(this->Open());
  std::vector<RunId> want{*open_run, *late};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(this->db_->recovery().open_runs, want);
}

// Fault injection: a simulated power loss (drop every unsynced byte) or a torn final write gives
// a state equal to a prefix of committed history that holds every durable commit.
enum class Fault { kDropUnsynced, kTearLastWrite };

template <class T>
void RunFault(T* t, Fault fault, uint32_t seed) {
  FaultInjectionEnv env;
  t->opts_.env = &env;
  t->opts_.buffered_interval_ms = 60'000;  // only Flush / the override make Buffered durable
  t->opts_.buffered_batch_size = 1'000'000;
  ASSERT_OK(t->Open());
  std::mt19937 rng(seed);
  const int64_t durable = 5 + static_cast<int64_t>(rng() % 20);
  t->Ticks(1, durable);
  ASSERT_OK(t->db_->Flush());
  // Written but never synced: the sync fails (Strict: at the commit; Buffered: at the flush).
  env.FailSyncs(1);
  const int64_t attempted = durable + 1 + static_cast<int64_t>(rng() % 10);
  int64_t acknowledged = durable;
  for (int64_t n = durable + 1; n <= attempted; ++n) {
    Result<Version> v = CommitTick(*t->db_, n);
    if (!v.ok()) break;  // the log is poisoned after the failed sync
    acknowledged = n;
  }
  EXPECT_EQ(t->db_->Flush().code(), Code::kIOError);
  EXPECT_GT(env.unsynced_bytes(), 0u);
  if (t->opts_.mode == DurabilityMode::kStrict) {
    EXPECT_EQ(acknowledged, durable);
  }

  env.Crash();
  t->db_.reset();  // must not hang or crash although every file operation fails
  uint64_t torn = 0;
  if (fault == Fault::kDropUnsynced) {
    ASSERT_OK(env.DropUnsyncedData());
  } else {
    Result<uint64_t> size = env.TearLastWrite(UINT64_MAX);  // probe the size of the last write
    ASSERT_OK(size);
    ASSERT_GT(*size, 1u);
    torn = 1 + rng() % (*size - 1);
    ASSERT_OK(env.TearLastWrite(torn));
  }
  env.Revive();
  ASSERT_OK(t->Open());
  TickState s = ReadTicks(*t->db_);
  EXPECT_TRUE(s.consistent()) << s;  // never half a transaction
  EXPECT_GE(s.counter, durable) << "a durable commit was lost";
  EXPECT_LE(s.counter, std::max(acknowledged, durable + 1)) << "data was invented";
  if (fault == Fault::kDropUnsynced) {
    EXPECT_EQ(s.counter, durable);
  }
  // Recovering again changes nothing.
  t->db_.reset();
  ASSERT_OK(t->Open());
  EXPECT_EQ(ReadTicks(*t->db_), s);
  t->db_.reset();
  t->opts_.env = nullptr;
}
ENGINE_TEST(DurableTest, FaultInjectionDropUnsyncedGivesTheDurablePrefix) {
  for (uint32_t seed = 1; seed <= 3; ++seed) {
    RunFault(this, Fault::kDropUnsynced, seed);
    std::filesystem::remove_all(this->dir_);
  }
}

ENGINE_TEST(DurableTest, FaultInjectionTornFinalWriteGivesAPrefix) {
  for (uint32_t seed = 1; seed <= 6; ++seed) {
    RunFault(this, Fault::kTearLastWrite, seed);
    std::filesystem::remove_all(this->dir_);
  }
}

ENGINE_TEST(DurableTest, CloseJoinsEveryThreadAndThenEverythingIsShuttingDown) {
  std::thread([] {}).join();  // lets a sanitizer runtime start its own thread first
  const int before = SettledThreadCount();
  this->opts_.snapshot_wal_bytes = 1 << 20;  // the snapshot trigger thread runs too
  this->opts_.snapshot_on_close = true;
  ASSERT_OK(this->Open());
  this->Ticks(1, 5);
  EXPECT_GT(ThreadCount(), before);
  ASSERT_OK(this->db_->Close());
  const int after = SettledThreadCount(before);
  EXPECT_EQ(after, before);
  auto& db = *this->db_;
  const RunId run = WorkloadRun();
  Value v;
  EXPECT_EQ(db.kv().Get(run, "counter", &v).code(), Code::kShuttingDown);
  EXPECT_EQ(db.kv().Put(run, "x", int64_t{1}).status().code(), Code::kShuttingDown);
  EXPECT_EQ(CommitTick(db, 6).status().code(), Code::kShuttingDown);
  EXPECT_EQ(db.events().Len(run).status().code(), Code::kShuttingDown);
  EXPECT_EQ(db.Flush().code(), Code::kShuttingDown);
  EXPECT_EQ(db.Snapshot().code(), Code::kShuttingDown);
  EXPECT_OK(db.Close());  // idempotent
  // The close snapshot was written.
  EXPECT_EQ(ListNames(this->snap_dir(), ".snap").size(), 1u);
}

ENGINE_TEST(DurableTest, GroupCommitSharesSyncs) {
  if (this->mode() != DurabilityMode::kStrict) GTEST_SKIP() << "group commit is Strict's";
  // A 2 ms sync, like a real disk's: commits arriving while it runs must share the next one.
  // Without it a page-cache sync can finish before another writer arrives on a loaded machine.
  FaultInjectionEnv env;
  env.SetSyncLatency(std::chrono::milliseconds(2));
  this->opts_.env = &env;
  // One partition: shared_nothing keeps a log per worker, and random runs can hash most writers
  // away from a worker, leaving it one writer and nothing to share. Group commit is per log.
  this->opts_.partitions = 1;
  ASSERT_OK(this->Open());
  constexpr int kThreads = 8, kPerThread = 60;
  const uint64_t syncs0 = this->db_->Stats().wal_syncs;
  std::vector<std::thread> ts;
  ts.reserve(kThreads);
  std::atomic<int> failures{0};
  for (int i = 0; i < kThreads; ++i) {
    ts.emplace_back([&, i] {
      const RunId run = RunId::Random();  // distinct runs: no conflicts
      for (int j = 0; j < kPerThread; ++j) {
        if (!this->db_->kv().Put(run, "k" + std::to_string(j), int64_t{i}).ok()) ++failures;
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(failures.load(), 0);
  const uint64_t commits = uint64_t{kThreads} * kPerThread;
  const uint64_t syncs = this->db_->Stats().wal_syncs - syncs0;
  EXPECT_LT(syncs, commits / 2) << syncs << " syncs for " << commits << " commits";
  ::testing::Test::RecordProperty("syncs", static_cast<int>(syncs));
  ASSERT_OK(this->db_->Close());
  this->opts_.env = nullptr;
}

ENGINE_TEST(DurableTest, WalSizeTriggerWritesSnapshotsInTheBackground) {
  this->opts_.snapshot_wal_bytes = 8 << 10;
  ASSERT_OK(this->Open());
  this->Ticks(1, 60);  // well over 8 KiB of WAL
  bool seen = false;
  for (int i = 0; i < 300 && !seen; ++i) {
    seen = !ListNames(this->snap_dir(), ".snap").empty();
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(seen);
  ASSERT_OK(this->db_->Close());
  ASSERT_OK(this->Open());
  EXPECT_FALSE(this->db_->recovery().snapshot_used.empty());
  EXPECT_EQ(ReadTicks(*this->db_).counter, 60);
}

ENGINE_TEST(DurableTest, IntervalTriggerWritesASnapshot) {
  if (this->mode() != DurabilityMode::kBuffered) GTEST_SKIP() << "one mode is enough (1 s)";
  this->opts_.snapshot_interval_s = 1;
  ASSERT_OK(this->Open());
  this->Ticks(1, 3);
  bool seen = false;
  for (int i = 0; i < 300 && !seen; ++i) {
    seen = !ListNames(this->snap_dir(), ".snap").empty();
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(seen);
}

ENGINE_TEST(DurableTest, SnapshotIsConsistentWhileCommitsContinue) {
  ASSERT_OK(this->Open());
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int64_t n = 1; !stop; ++n) ASSERT_OK(CommitTick(*this->db_, n));
  });
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_OK(this->db_->Snapshot());
  }
  stop = true;
  writer.join();
  const TickState live = ReadTicks(*this->db_);
  ASSERT_OK(this->db_->Close());
  // Recover from the newest snapshot only (delete the log): a consistent cut.
  std::filesystem::remove_all(this->wal_dir());
  ASSERT_OK(this->Open());
  TickState s = ReadTicks(*this->db_);
  EXPECT_TRUE(s.consistent()) << s;
  EXPECT_LE(s.counter, live.counter);
  EXPECT_GE(this->db_->recovery().snapshot_version, s.counter_version);
}

ENGINE_TEST(DurableTest, StrictOverrideInBufferedSyncsBeforeReturning) {
  this->opts_.buffered_interval_ms = 60'000;
  this->opts_.buffered_batch_size = 1'000'000;
  ASSERT_OK(this->Open());
  const uint64_t syncs0 = this->db_->Stats().wal_syncs;
  TxnOptions o;
  o.durability = DurabilityOverride::kStrict;
  ASSERT_OK(CommitTick(*this->db_, 1));
  ASSERT_OK(CommitTick(*this->db_, 2, o));
  EXPECT_GT(this->db_->Stats().wal_syncs, syncs0);
}

// Buffered: a commit's record is written to the file before the commit returns, so a process
// crash (no further write or sync reaches the file; the page cache survives) loses none of them.
ENGINE_TEST(DurableTest, BufferedAcknowledgedCommitsSurviveAProcessCrash) {
  if (this->mode() != DurabilityMode::kBuffered) GTEST_SKIP() << "Strict syncs every commit";
  FaultInjectionEnv env;
  this->opts_.env = &env;
  this->opts_.buffered_interval_ms = 60'000;  // no background sync during the test
  this->opts_.buffered_batch_size = 1'000'000;
  ASSERT_OK(this->Open());
  this->Ticks(1, 25);
  EXPECT_GT(env.unsynced_bytes(), 0u) << "written, not yet synced";
  env.Crash();
  this->db_.reset();
  env.Revive();  // what reached the page cache is read back
  ASSERT_OK(this->Open());
  const TickState s = ReadTicks(*this->db_);
  EXPECT_TRUE(s.consistent()) << s;
  EXPECT_EQ(s.counter, 25) << "an acknowledged commit never reached the file";
  this->db_.reset();
  this->opts_.env = nullptr;
}

// Buffered under a power loss while syncs lag: each takes 300 ms and the interval is 25 ms, so
// commits must wait for syncs rather than let the unsynced window grow. Every commit lost was
// acknowledged within two intervals (plus scheduling slack) of the oldest lost one; without the
// wait the lost commits span several syncs (~0.5 s).
ENGINE_TEST(DurableTest, BufferedPowerLossLosesAtMostAboutTwoIntervals) {
  if (this->mode() != DurabilityMode::kBuffered) GTEST_SKIP() << "Strict loses nothing";
  constexpr int64_t kIntervalMs = 25, kSlackMs = 50;
  FaultInjectionEnv env;
  env.SetSyncLatency(std::chrono::milliseconds(300));
  this->opts_.env = &env;
  this->opts_.buffered_interval_ms = kIntervalMs;
  this->opts_.buffered_batch_size = 1'000'000;
  ASSERT_OK(this->Open());
  const auto now_ns = [] {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  std::vector<int64_t> ack_ns{0};  // ack_ns[n]: when tick n was acknowledged
  const int64_t end = now_ns() + 800'000'000;
  for (int64_t n = 1; now_ns() < end; ++n) {
    ASSERT_OK(CommitTick(*this->db_, n));
    ack_ns.push_back(now_ns());
  }
  env.Crash();
  this->db_.reset();
  ASSERT_OK(env.DropUnsyncedData());
  env.Revive();
  ASSERT_OK(this->Open());
  const TickState s = ReadTicks(*this->db_);
  EXPECT_TRUE(s.consistent()) << s;
  const auto acked = static_cast<int64_t>(ack_ns.size()) - 1;
  ASSERT_LE(s.counter, acked);
  EXPECT_GT(s.counter, 0) << "no sync completed in 0.8 s";
  if (s.counter < acked) {
    const double span_ms = static_cast<double>(ack_ns[acked] - ack_ns[s.counter + 1]) / 1e6;
    EXPECT_LE(span_ms, 2 * kIntervalMs + kSlackMs)
        << acked - s.counter << " of " << acked << " acknowledged commits lost";
    ::testing::Test::RecordProperty("lost_span_us", static_cast<int>(span_ms * 1000));
  }
  this->db_.reset();
  this->opts_.env = nullptr;
}

ENGINE_TEST(DurableTest, InvalidOptionsNameTheField) {
  this->opts_.wal_segment_bytes = 0;
  Status s = this->Open();
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("wal_segment_bytes"), std::string_view::npos) << s.ToString();
  this->opts_.wal_segment_bytes = 1 << 20;
  this->opts_.buffered_interval_ms = 0;
  s = this->Open();
  if (this->mode() == DurabilityMode::kBuffered) {
    EXPECT_NE(s.message().find("buffered_interval_ms"), std::string_view::npos) << s.ToString();
  } else {
    EXPECT_OK(s);  // Strict has no interval
  }
}

// InMemory: no file, ever.
template <class C>
class InMemoryTest : public ModeTest {};
ENGINE_TEST_SUITE(InMemoryTest, ModeSet::kInMemory);

ENGINE_TEST(InMemoryTest, LeavesTheDirectoryEmpty) {
  using E = typename TypeParam::Engine;
  const std::string dir = MakeTempDir("inmemory");
  DbOptions o;
  o.mode = DurabilityMode::kInMemory;
  o.dir = dir;
  o.snapshot_interval_s = 1;
  {
    auto db = Database<E>::Open(o);
    ASSERT_OK(db);
    for (int64_t n = 1; n <= 20; ++n) ASSERT_OK(CommitTick(**db, n));
    ASSERT_OK((*db)->runs().CreateRun("r1"));
    ASSERT_OK((*db)->Flush());
    ASSERT_OK((*db)->Snapshot());
    EXPECT_TRUE((*db)->recovery().snapshot_used.empty());
    ASSERT_OK((*db)->Close());
  }
  EXPECT_EQ(ListFiles(dir), std::vector<std::string>{});
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace statelab::testing_util
