// The corruption matrix (issue 23's acceptance), on every engine: a database with acknowledged
// ticks in several WAL segments and zero, one or two snapshots is damaged on a copy — a flipped
// byte, a truncation at a random offset and at a record boundary, in the last and in a non-last
// segment, a missing non-last segment, a flipped byte in the newest or the older snapshot — and
// reopened:
//   strict (the default) either recovers every acknowledged tick or refuses with Corruption
//   naming the damaged file (and the offset), a cut of the last segment included (segments are
//   preallocated, their size synced before any record: a shorter file was cut, not torn);
//   the dry run (DurableState::DryRun) and `statelab verify` give open's verdict;
//   skip-corrupt and truncate-tail open whatever strict refused (a snapshot the log does not cover
//   aside, for truncate-tail) and, when a tick is missing, the report lists the loss.
// Damage does not depend on the durability mode, so the matrix runs on the Strict configurations.
#include <random>

#include "engines/durability/durable_state.h"
#include "tests/durability/workload.h"
#include "tools/offline.h"

namespace statelab::testing_util {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kTicks = 40;

enum class Damage {
  kFlipLast,
  kFlipNonLast,
  kTruncateLastRandom,
  kTruncateLastBoundary,
  kTruncateNonLastRandom,
  kTruncateNonLastBoundary,
  kRemoveNonLast,
  kFlipNewestSnapshot,
  kFlipOlderSnapshot,
};
constexpr Damage kAllDamage[] = {Damage::kFlipLast,
                                 Damage::kFlipNonLast,
                                 Damage::kTruncateLastRandom,
                                 Damage::kTruncateLastBoundary,
                                 Damage::kTruncateNonLastRandom,
                                 Damage::kTruncateNonLastBoundary,
                                 Damage::kRemoveNonLast,
                                 Damage::kFlipNewestSnapshot,
                                 Damage::kFlipOlderSnapshot};
const char* DamageName(Damage d) {
  constexpr const char* kNames[] = {"flip_last",
                                    "flip_non_last",
                                    "truncate_last_random",
                                    "truncate_last_boundary",
                                    "truncate_non_last_random",
                                    "truncate_non_last_boundary",
                                    "remove_non_last",
                                    "flip_newest_snapshot",
                                    "flip_older_snapshot"};
  return kNames[static_cast<int>(d)];
}

template <class C>
class CorruptionMatrix : public ModeTest {
 protected:
  using E = typename C::Engine;

  void SetUp() override {
    pristine_ = MakeTempDir("matrix");
    work_ = MakeTempDir("matrix_case");
    opts_.mode = this->mode();
    opts_.engine = std::string(E::kName);
    opts_.wal_segment_bytes = 2048;  // several records per segment, many segments
    opts_.snapshot_wal_bytes = 0;
    opts_.snapshot_on_close = false;
  }
  void TearDown() override {
    fs::remove_all(pristine_);
    fs::remove_all(work_);
  }

  // Writes the ticks into pristine_, with a snapshot after tick 15 (snapshots >= 2: and 30).
  void Build(int snapshots) {
    DbOptions o = opts_;
    o.dir = pristine_;
    auto db = Database<E>::Open(o);
    ASSERT_OK(db);
    for (int64_t n = 1; n <= kTicks; ++n) {
      ASSERT_OK(CommitTick(**db, n));
      if ((n == 15 && snapshots >= 1) || (n == 30 && snapshots >= 2)) ASSERT_OK((*db)->Snapshot());
    }
    ASSERT_OK((*db)->Close());
    ASSERT_EQ(ListNames(DataRoot(pristine_) + "/snapshots", ".snap").size(),
              static_cast<size_t>(snapshots));
  }

  void RunCase(Damage d, uint32_t seed) {
    SCOPED_TRACE(std::string(DamageName(d)) + " seed " + std::to_string(seed));
    fs::remove_all(work_);
    fs::copy(pristine_, work_, fs::copy_options::recursive);
    const std::string root = DataRoot(work_);
    std::vector<std::string> segs;  // segments that hold records, oldest first
    for (const std::string& n : ListNames(root + "/wal", ".wal")) {
      if (HoldsRecords(root + "/wal/" + n)) segs.push_back(root + "/wal/" + n);
    }
    const std::vector<std::string> snaps = ListNames(root + "/snapshots", ".snap");
    ASSERT_GE(segs.size(), 3u);
    std::mt19937 rng(seed);
    std::string file;            // what was damaged
    uint64_t at = 0;             // where
    auto pick_non_last = [&] { return segs[rng() % (segs.size() - 1)]; };
    switch (d) {
      case Damage::kFlipLast:
      case Damage::kFlipNonLast: {
        file = d == Damage::kFlipLast ? segs.back() : pick_non_last();
        std::string data = ReadAll(file);
        at = rng() % data.size();
        data[at] = static_cast<char>(data[at] ^ (1 << (rng() % 8)));
        WriteAll(file, data);
        break;
      }
      case Damage::kTruncateLastRandom:
      case Damage::kTruncateLastBoundary:
      case Damage::kTruncateNonLastRandom:
      case Damage::kTruncateNonLastBoundary: {
        const bool last = d == Damage::kTruncateLastRandom || d == Damage::kTruncateLastBoundary;
        file = last ? segs.back() : pick_non_last();
        std::string data = ReadAll(file);
        const std::vector<wal::Frame> frames = Frames(data);
        ASSERT_FALSE(frames.empty());
        const bool boundary =
            d == Damage::kTruncateLastBoundary || d == Damage::kTruncateNonLastBoundary;
        at = boundary ? frames[rng() % frames.size()].offset : rng() % data.size();
        WriteAll(file, data.substr(0, at));
        break;
      }
      case Damage::kRemoveNonLast:
        file = pick_non_last();
        fs::remove(file);
        break;
      case Damage::kFlipNewestSnapshot:
      case Damage::kFlipOlderSnapshot: {
        if (snaps.empty() || (d == Damage::kFlipOlderSnapshot && snaps.size() < 2)) return;
        file = root + "/snapshots/" + (d == Damage::kFlipNewestSnapshot ? snaps.back() : snaps[0]);
        std::string data = ReadAll(file);
        at = rng() % data.size();
        data[at] = static_cast<char>(data[at] ^ (1 << (rng() % 8)));
        WriteAll(file, data);
        break;
      }
    }
    ++cases_;

    // The dry run and verify first (they change no file), then open.
    DbOptions o = opts_;
    o.dir = work_;
    DurableState::Hooks hooks;
    hooks.load_entry = [](std::string_view, VersionEntry) {};
    hooks.apply_commit = [](Version, TxnState&) {};
    RecoveryReport dry;
    const Status dry_status = DurableState::DryRun(o, root, hooks, &dry);
    bool verify_opens = false;
    Result<bool> clean = cli::Verify(work_, [&](std::string_view line) {
      if (line.find(R"("kind":"summary")") != std::string_view::npos) {
        verify_opens = line.find(R"("opens":true)") != std::string_view::npos;
      }
    });
    ASSERT_OK(clean);

    auto db = Database<E>::Open(o);
    EXPECT_EQ(dry_status.ToString(), db.ok() ? "ok" : db.status().ToString())
        << "the dry run and open disagree";
    EXPECT_EQ(verify_opens, db.ok()) << "verify and open disagree";
    if (db.ok()) {
      const TickState s = ReadTicks(**db);
      EXPECT_TRUE(s.consistent()) << s;
      EXPECT_EQ(s.counter, kTicks) << "opened with acknowledged ticks missing: "
                                   << (*db)->recovery().notes.size() << " notes";
      EXPECT_EQ(dry.records_replayed, (*db)->recovery().records_replayed);
      ++opened_;
      return;
    }
    ++refused_;
    const Status& s = db.status();
    EXPECT_EQ(s.code(), Code::kCorruption) << s.ToString();
    if (d == Damage::kRemoveNonLast) {  // names the segments on either side and the versions
      EXPECT_NE(s.ToString().find(" missing"), std::string::npos) << s.ToString();
    } else {
      EXPECT_NE(s.ToString().find(file), std::string::npos) << s.ToString() << " names no " << file;
    }
    EXPECT_NE(s.ToString().find(" at offset "), std::string::npos);
    if (d == Damage::kFlipLast || d == Damage::kFlipNonLast) {
      EXPECT_LE(s.a(), at) << "the damaged record starts at or before the flipped byte";
    }
    if (d == Damage::kFlipNewestSnapshot || d == Damage::kFlipOlderSnapshot) {
      EXPECT_LE(s.a(), fs::file_size(file));
    }

    // The opt-in policies open what strict refused (truncate-tail cannot replace a snapshot),
    // and a missing tick is always in the report.
    for (RecoveryPolicy p : {RecoveryPolicy::kSkipCorrupt, RecoveryPolicy::kTruncateTail}) {
      SCOPED_TRACE(std::string(RecoveryPolicyName(p)));
      fs::remove_all(work_ + "_" + std::string(RecoveryPolicyName(p)));
      const std::string copy = work_ + "_" + std::string(RecoveryPolicyName(p));
      fs::copy(work_, copy, fs::copy_options::recursive);
      DbOptions po = o;
      po.dir = copy;
      po.recovery_policy = p;
      auto lossy = Database<E>::Open(po);
      if (!lossy.ok()) {
        EXPECT_EQ(p, RecoveryPolicy::kTruncateTail) << lossy.status().ToString();
        EXPECT_NE(lossy.status().ToString().find(".snap"), std::string::npos);
        fs::remove_all(copy);
        continue;
      }
      const RecoveryReport& rep = (*lossy)->recovery();
      EXPECT_EQ(rep.policy, RecoveryPolicyName(p));
      const TickState t = ReadTicks(**lossy);
      bool listed = false;
      for (const RecoveryLoss& l : rep.losses) {
        listed = listed || (l.what != "covered" && l.what != "torn_tail");
      }
      if (t.counter < kTicks || !t.consistent()) {
        EXPECT_TRUE(listed) << "ticks are missing and the report lists no loss: " << t;
      }
      if (p == RecoveryPolicy::kTruncateTail) {
        EXPECT_TRUE(t.consistent()) << t;
      }
      lossy->reset();
      fs::remove_all(copy);
    }
  }

  void RunMatrix(int snapshots) {
    if (this->mode() != DurabilityMode::kStrict) GTEST_SKIP() << "file damage: Strict covers it";
    Build(snapshots);
    if (::testing::Test::HasFatalFailure()) return;
    for (Damage d : kAllDamage) {
      for (uint32_t seed = 1; seed <= 3; ++seed) RunCase(d, seed * 7919 + snapshots);
    }
    this->RecordProperty("cases", cases_);
    this->RecordProperty("opened", opened_);
    this->RecordProperty("refused", refused_);
  }

  DbOptions opts_;
  std::string pristine_, work_;
  int cases_ = 0, opened_ = 0, refused_ = 0;
};
ENGINE_TEST_SUITE(CorruptionMatrix, ModeSet::kDurable);

ENGINE_TEST(CorruptionMatrix, NoSnapshot) { this->RunMatrix(0); }
ENGINE_TEST(CorruptionMatrix, OneSnapshotKept) { this->RunMatrix(1); }
ENGINE_TEST(CorruptionMatrix, TwoSnapshotsKept) { this->RunMatrix(2); }

}  // namespace
}  // namespace statelab::testing_util
