// CommitLog on its own, driven as an engine drives it (Append in version order under a commit
// mutex, WaitDurable outside it): Strict group commit shares syncs among concurrent committers,
// every acknowledged record survives losing unsynced data (read back by the WAL reader and by
// recovery), records come out in version order (across segment rolls too), Buffered waits and
// syncs as documented, a failed sync poisons the log, and InMemory never opens a log.
#include "engines/durability/commit_log.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "engines/api/key.h"
#include "engines/api/options.h"
#include "engines/core/txn_state.h"
#include "engines/durability/durable_state.h"
#include "engines/durability/env.h"
#include "engines/durability/fault_injection_env.h"
#include "engines/durability/wal_format.h"

namespace statelab {
namespace {

std::string Describe(const Status& s) { return s.ToString(); }
template <class T>
std::string Describe(const Result<T>& r) {
  return r.status().ToString();
}

#define ASSERT_OK(expr)                   \
  do {                                    \
    const auto& _s = (expr);              \
    ASSERT_TRUE(_s.ok()) << Describe(_s); \
  } while (0)

std::string MakeTempDir(const std::string& tag) {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / ("statelab-unit-" + tag + "-XXXXXX")).string();
  char* dir = ::mkdtemp(tmpl.data());
  EXPECT_NE(dir, nullptr);
  return tmpl;
}

// A temporary WAL root: <root>/wal exists; removed at the end of the test.
class TempRoot {
 public:
  explicit TempRoot(const std::string& tag) : root_(MakeTempDir(tag)) {
    std::filesystem::create_directories(wal_dir());
  }
  ~TempRoot() { std::filesystem::remove_all(root_); }
  const std::string& root() const { return root_; }
  std::string wal_dir() const { return JoinPath(root_, "wal"); }

 private:
  std::string root_;
};

const RunId kRun = RunId::Random();

// "k<v>", the user key written at version v.
std::string KeyName(Version v) {
  std::string k = "k";
  k.append(std::to_string(v));
  return k;
}

// The transaction committed at version v: one KV put "k<v>" = v.
TxnState CommitOf(Version v) {
  TxnState t;
  t.Reset(kRun, v - 1, 1000 + static_cast<TimestampUs>(v));
  WriteEntry& w = t.UpsertWrite(KeyBuf(kRun, Tag::kKv, KeyName(v)).view());
  w.kind = WriteKind::kPut;
  w.value = static_cast<int64_t>(v);
  return t;
}

struct WalRecord {
  std::string segment;
  Version version = 0;
  std::string user_key;
  Value value;
};

// Every record of every segment under wal_dir, segments in name order, records in file order.
// Parsing stops at the first invalid frame of a segment; *trailing counts the bytes left there.
std::vector<WalRecord> ReadWal(const std::string& wal_dir, uint64_t* trailing = nullptr) {
  std::vector<std::string> names;
  EXPECT_TRUE(Env::Default()->ListDir(wal_dir, &names).ok());
  std::vector<WalRecord> out;
  if (trailing) *trailing = 0;
  for (const std::string& name : names) {
    Version first;
    if (!wal::ParseSegmentName(name, &first)) continue;
    SegmentImage seg;
    EXPECT_TRUE(ReadSegment(Env::Default(), JoinPath(wal_dir, name), &seg).ok());
    const std::string& data = seg.data;
    uint64_t off = seg.header.first_frame;
    wal::Frame f;
    while (wal::ParseFrame(data, off, &f)) {
      wal::CommitRecord rec;
      if (!wal::DecodeCommit(f.payload, &rec)) break;
      off += f.size;
      WalRecord r;
      r.segment = name;
      r.version = rec.version;
      if (rec.txn.writes.size() == 1) {
        r.user_key = std::string(rec.txn.writes[0].key.user_key());
        r.value = rec.txn.writes[0].value;
      }
      out.push_back(std::move(r));
    }
    if (trailing) *trailing += data.size() - off;
  }
  return out;
}

// Checks that `recs` are exactly the commits 1..n of CommitOf, in version order.
void ExpectCommitsInOrder(const std::vector<WalRecord>& recs, Version n) {
  ASSERT_EQ(recs.size(), n);
  for (size_t i = 0; i < recs.size(); ++i) {
    const Version v = i + 1;
    EXPECT_EQ(recs[i].version, v) << "record " << i;
    EXPECT_EQ(recs[i].user_key, KeyName(v)) << "record " << i;
    EXPECT_EQ(recs[i].value, Value(static_cast<int64_t>(v))) << "record " << i;
  }
}

DbOptions Options(DurabilityMode mode, Env* env) {
  DbOptions o;
  o.mode = mode;
  o.env = env;
  return o;
}

std::unique_ptr<CommitLog> OpenLog(const DbOptions& o, Env* env, const std::string& wal_dir) {
  auto log = CommitLog::Open(o, env, wal_dir, 1, {});
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  return log.ok() ? std::move(log).value() : nullptr;
}

// What an engine's commit exclusion does: versions are taken and appended in order.
class Committer {
 public:
  explicit Committer(CommitLog& log) : log_(log) {}
  // Appends the next commit; returns its version and token (token 0: Append failed).
  std::pair<Version, uint64_t> Append() {
    std::lock_guard lk(mu_);
    const Version v = next_ + 1;
    auto token = log_.Append(v, CommitOf(v));
    if (!token.ok()) return {v, 0};
    next_ = v;
    return {v, *token};
  }

 private:
  CommitLog& log_;
  std::mutex mu_;
  Version next_ = 0;
};

// An Env that counts file syncs and can hold them: while held, a Sync blocks (a sync in flight),
// so a test decides exactly which commits arrive while it runs.
class GatedEnv final : public Env {
 public:
  explicit GatedEnv(Env* base) : base_(base) {}

  Result<std::unique_ptr<WritableFile>> OpenAppendable(const std::string& path) override {
    return Wrap(base_->OpenAppendable(path));
  }
  Result<std::unique_ptr<WritableFile>> NewWritable(const std::string& path) override {
    return Wrap(base_->NewWritable(path));
  }
  // Creating a segment syncs it before any record goes in: not a commit's sync.
  Result<std::unique_ptr<WritableFile>> NewPreallocated(const std::string& path,
                                                        std::string_view header,
                                                        uint64_t size) override {
    return Wrap(base_->NewPreallocated(path, header, size));
  }
  Status ReadFile(const std::string& path, std::string* out) override {
    return base_->ReadFile(path, out);
  }
  Status CreateDirs(const std::string& path) override { return base_->CreateDirs(path); }
  Status ListDir(const std::string& path, std::vector<std::string>* names) override {
    return base_->ListDir(path, names);
  }
  bool FileExists(const std::string& path) override { return base_->FileExists(path); }
  Status RemoveFile(const std::string& path) override { return base_->RemoveFile(path); }
  Status RenameFile(const std::string& from, const std::string& to) override {
    return base_->RenameFile(from, to);
  }
  Status Truncate(const std::string& path, uint64_t size) override {
    return base_->Truncate(path, size);
  }
  Status SyncDir(const std::string& path) override { return base_->SyncDir(path); }

  void HoldSyncs() {
    std::lock_guard lk(mu_);
    held_ = true;
  }
  void ReleaseSyncs() {
    std::lock_guard lk(mu_);
    held_ = false;
    cv_.notify_all();
  }
  // True once a Sync is blocked (bounded so a broken log fails the test instead of hanging it).
  bool WaitForBlockedSync() {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, std::chrono::seconds(60), [this] { return blocked_ > 0; });
  }
  uint64_t syncs() const {
    std::lock_guard lk(mu_);
    return syncs_;
  }

 private:
  class File final : public WritableFile {
   public:
    File(GatedEnv* env, std::unique_ptr<WritableFile> base) : env_(env), base_(std::move(base)) {}
    Status Append(std::string_view data) override { return base_->Append(data); }
    Status Sync() override {
      env_->BeforeSync();
      return base_->Sync();
    }
    Status Close() override { return base_->Close(); }

   private:
    GatedEnv* env_;
    std::unique_ptr<WritableFile> base_;
  };

  Result<std::unique_ptr<WritableFile>> Wrap(Result<std::unique_ptr<WritableFile>> f) {
    if (!f.ok()) return std::move(f).error();
    return std::unique_ptr<WritableFile>(new File(this, std::move(f).value()));
  }
  void BeforeSync() {
    std::unique_lock lk(mu_);
    ++syncs_;
    if (!held_) return;
    ++blocked_;
    cv_.notify_all();
    cv_.wait(lk, [this] { return !held_; });
    --blocked_;
  }

  Env* base_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
  int blocked_ = 0;
  uint64_t syncs_ = 0;
};

TEST(CommitLog, InMemoryModeOpensNoLogAndCreatesNoFile) {
  TempRoot dir("inmemory");
  auto log = CommitLog::Open(Options(DurabilityMode::kInMemory, nullptr), Env::Default(),
                             dir.wal_dir(), 1, {});
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(std::filesystem::is_empty(dir.wal_dir()));
  // DurableState refuses too: an InMemory engine has no durable state at all.
  auto ds =
      DurableState::Open(Options(DurabilityMode::kInMemory, nullptr), dir.root(), {}, nullptr);
  ASSERT_FALSE(ds.ok());
  EXPECT_EQ(ds.status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(std::filesystem::is_empty(dir.wal_dir()));
}

TEST(CommitLog, StrictAppendQueuesAndWaitDurableSyncs) {
  TempRoot dir("strict");
  FaultInjectionEnv env;
  auto log = OpenLog(Options(DurabilityMode::kStrict, &env), &env, dir.wal_dir());
  ASSERT_NE(log, nullptr);
  Committer c(*log);
  const auto [v1, t1] = c.Append();
  const auto [v2, t2] = c.Append();
  EXPECT_EQ(v1, 1u);
  EXPECT_EQ(t1, 1u);
  EXPECT_EQ(t2, 2u);
  EXPECT_EQ(log->appends(), 2u);
  EXPECT_EQ(log->last_version(), 2u);
  EXPECT_GT(log->bytes(), 0u);
  // Appended means queued in memory: nothing written, nothing synced yet.
  EXPECT_EQ(log->syncs(), 0u);
  EXPECT_TRUE(ReadWal(dir.wal_dir()).empty());

  ASSERT_OK(log->WaitDurable(t1, false));
  // One round took everything queued: both records are on disk and synced.
  EXPECT_EQ(log->syncs(), 1u);
  EXPECT_EQ(env.unsynced_bytes(), 0u);
  ExpectCommitsInOrder(ReadWal(dir.wal_dir()), 2);
  // Already durable: no further sync.
  ASSERT_OK(log->WaitDurable(t2, false));
  ASSERT_OK(log->WaitDurable(t1, false));
  EXPECT_EQ(log->syncs(), 1u);
  ASSERT_OK(log->Close());
  EXPECT_EQ(log->syncs(), 1u);
}

// Deterministic group commit: the first committer's sync is held while seven more commit; they
// all share the next sync. Without group commit each would sync on its own (8 syncs).
TEST(CommitLog, StrictCommitsArrivingDuringASyncShareTheNextOne) {
  constexpr int kFollowers = 7;
  TempRoot dir("group");
  FaultInjectionEnv fault_env;
  GatedEnv env(&fault_env);
  auto log = OpenLog(Options(DurabilityMode::kStrict, &env), &env, dir.wal_dir());
  ASSERT_NE(log, nullptr);
  Committer c(*log);
  env.HoldSyncs();
  Status leader_status;
  std::thread leader([&] {
    const auto [v, token] = c.Append();
    leader_status = token == 0 ? Status::IOError("append failed") : log->WaitDurable(token, false);
  });
  ASSERT_TRUE(env.WaitForBlockedSync());
  std::atomic<int> appended{0};
  std::vector<Status> follower_status(kFollowers);
  std::vector<std::thread> followers;
  followers.reserve(kFollowers);
  for (int i = 0; i < kFollowers; ++i) {
    followers.emplace_back([&, i] {
      const auto [v, token] = c.Append();
      appended.fetch_add(1);
      appended.notify_all();
      follower_status[i] =
          token == 0 ? Status::IOError("append failed") : log->WaitDurable(token, false);
    });
  }
  for (int n = appended.load(); n < kFollowers; n = appended.load()) appended.wait(n);
  // The first round is still in flight: its sync has not returned.
  EXPECT_EQ(log->syncs(), 0u);
  EXPECT_EQ(env.syncs(), 1u);
  env.ReleaseSyncs();
  leader.join();
  for (auto& t : followers) t.join();
  EXPECT_TRUE(leader_status.ok()) << leader_status.ToString();
  for (const Status& s : follower_status) EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(log->appends(), 1u + kFollowers);
  EXPECT_EQ(env.syncs(), 2u);
  EXPECT_EQ(log->syncs(), 2u);
  EXPECT_EQ(fault_env.unsynced_bytes(), 0u);
  ExpectCommitsInOrder(ReadWal(dir.wal_dir()), 1 + kFollowers);
  ASSERT_OK(log->Close());
}

// Free-running concurrent committers against a disk whose sync takes a while: every commit is
// acknowledged, fewer syncs than commits cover them, and the log holds them in version order.
TEST(CommitLog, ConcurrentStrictCommittersShareSyncsAndRecordsAreInVersionOrder) {
  constexpr int kThreads = 8, kPerThread = 40;
  constexpr uint64_t kCommits = uint64_t{kThreads} * kPerThread;
  TempRoot dir("concurrent");
  FaultInjectionEnv fault_env;
  fault_env.SetSyncLatency(std::chrono::microseconds(500));
  GatedEnv env(&fault_env);  // counts the file syncs the log issues
  auto log = OpenLog(Options(DurabilityMode::kStrict, &env), &env, dir.wal_dir());
  ASSERT_NE(log, nullptr);
  Committer c(*log);
  std::atomic<int> failures{0};
  std::vector<std::thread> ts;
  ts.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    ts.emplace_back([&] {
      for (int j = 0; j < kPerThread; ++j) {
        const auto [v, token] = c.Append();
        if (token == 0 || !log->WaitDurable(token, false).ok()) ++failures;
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(log->appends(), kCommits);
  EXPECT_EQ(log->syncs(), env.syncs());
  EXPECT_GE(env.syncs(), 1u);
  EXPECT_LT(env.syncs(), kCommits) << env.syncs() << " syncs for " << kCommits << " commits";
  ::testing::Test::RecordProperty("syncs", static_cast<int>(env.syncs()));
  // Every commit was acknowledged, so everything is on disk and synced before Close.
  EXPECT_EQ(fault_env.unsynced_bytes(), 0u);
  uint64_t trailing = 0;
  ExpectCommitsInOrder(ReadWal(dir.wal_dir(), &trailing), kCommits);
  EXPECT_EQ(trailing, 0u);
  ASSERT_OK(log->Close());
  EXPECT_EQ(log->syncs(), env.syncs());  // nothing left to sync at close
}

// Committers run until the "machine" crashes under them; the unsynced data is dropped. Every
// commit whose WaitDurable returned OK must still be there, for the WAL reader and for recovery,
// and what is there is a gap-free prefix of the history in version order.
TEST(CommitLog, EveryAcknowledgedStrictCommitSurvivesACrash) {
  constexpr int kThreads = 4, kMaxPerThread = 400;
  constexpr int kCrashAfterAcks = 150;
  TempRoot dir("crash");
  FaultInjectionEnv env;
  env.SetSyncLatency(std::chrono::microseconds(200));
  auto log = OpenLog(Options(DurabilityMode::kStrict, &env), &env, dir.wal_dir());
  ASSERT_NE(log, nullptr);
  Committer c(*log);
  std::atomic<int> acks{0}, running{kThreads};
  std::vector<std::vector<Version>> acked(kThreads);
  std::vector<Status> first_error(kThreads);
  std::vector<std::thread> ts;
  ts.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    ts.emplace_back([&, i] {
      for (int j = 0; j < kMaxPerThread; ++j) {
        const auto [v, token] = c.Append();
        Status s = token == 0 ? log->health() : log->WaitDurable(token, false);
        if (!s.ok()) {
          first_error[i] = std::move(s);
          break;
        }
        acked[i].push_back(v);
        acks.fetch_add(1);
      }
      running.fetch_sub(1);
    });
  }
  while (acks.load() < kCrashAfterAcks && running.load() > 0) {
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  env.Crash();
  for (auto& t : ts) t.join();
  // Threads that went on past the crash saw the log poisoned with the IOError.
  for (const Status& s : first_error) {
    if (!s.ok()) {
      EXPECT_EQ(s.code(), Code::kIOError) << s.ToString();
    }
  }
  Version max_acked = 0;
  size_t total_acked = 0;
  for (const auto& a : acked) {
    total_acked += a.size();
    for (Version v : a) max_acked = std::max(max_acked, v);
  }
  ASSERT_GE(total_acked, static_cast<size_t>(kCrashAfterAcks));
  (void)log->Close();  // IOError when poisoned; closes the file either way
  log.reset();

  ASSERT_OK(env.DropUnsyncedData());
  env.Revive();
  uint64_t trailing = 0;
  const std::vector<WalRecord> recs = ReadWal(dir.wal_dir(), &trailing);
  EXPECT_EQ(trailing, 0u);  // syncs cover whole records: the durable data ends on a frame
  ASSERT_GE(recs.size(), max_acked);
  ExpectCommitsInOrder(recs, recs.size());
  for (const auto& a : acked) {
    for (Version v : a) {
      ASSERT_LE(v, recs.size());
      EXPECT_EQ(recs[v - 1].version, v);
    }
  }

  // Recovery replays the same prefix, in version order.
  std::vector<Version> replayed;
  DurableState::Hooks hooks;
  hooks.load_entry = [](std::string_view, const VersionEntry&) {
    ADD_FAILURE() << "no snapshot exists";
  };
  hooks.apply_commit = [&](Version v, TxnState& t) {
    replayed.push_back(v);
    ASSERT_EQ(t.writes.size(), 1u);
    EXPECT_EQ(t.writes[0].key.user_key(), KeyName(v));
  };
  hooks.dump = [](const EntryEmit&) -> Result<Version> { return Status::IOError("no dump"); };
  DbOptions o = Options(DurabilityMode::kStrict, &env);
  o.snapshot_on_close = false;
  o.snapshot_wal_bytes = 0;
  RecoveryReport report;
  auto ds = DurableState::Open(o, dir.root(), std::move(hooks), &report);
  ASSERT_OK(ds);
  ASSERT_EQ(replayed.size(), recs.size());
  for (size_t i = 0; i < replayed.size(); ++i) EXPECT_EQ(replayed[i], i + 1);
  EXPECT_EQ(report.recovered_version, recs.size());
  EXPECT_EQ(report.records_replayed, recs.size());
  EXPECT_EQ(report.bytes_truncated, 0u);
  EXPECT_GE(report.recovered_version, max_acked);
  ASSERT_OK((*ds)->Close());
}

TEST(CommitLog, SegmentRollsKeepVersionOrderAndNameSegmentsByTheirFirstVersion) {
  constexpr int kThreads = 4, kPerThread = 15;
  constexpr uint64_t kCommits = uint64_t{kThreads} * kPerThread;
  TempRoot dir("segments");
  FaultInjectionEnv env;
  DbOptions o = Options(DurabilityMode::kStrict, &env);
  o.wal_segment_bytes = 300;  // a few records per segment
  auto log = OpenLog(o, &env, dir.wal_dir());
  ASSERT_NE(log, nullptr);
  Committer c(*log);
  std::atomic<int> failures{0};
  std::vector<std::thread> ts;
  ts.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    ts.emplace_back([&] {
      for (int j = 0; j < kPerThread; ++j) {
        const auto [v, token] = c.Append();
        if (token == 0 || !log->WaitDurable(token, false).ok()) ++failures;
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_OK(log->Close());
  EXPECT_EQ(env.unsynced_bytes(), 0u);
  uint64_t trailing = 0;
  const std::vector<WalRecord> recs = ReadWal(dir.wal_dir(), &trailing);
  EXPECT_EQ(trailing, 0u);
  ExpectCommitsInOrder(recs, kCommits);
  size_t segments = 0;
  for (size_t i = 0; i < recs.size(); ++i) {
    if (i > 0 && recs[i].segment == recs[i - 1].segment) continue;
    ++segments;
    EXPECT_EQ(recs[i].segment, wal::SegmentName(recs[i].version)) << "record " << i;
  }
  EXPECT_GE(segments, 5u);
}

// Buffered: WaitDurable returns once the record is in the file (a process crash keeps it), with
// no sync; the override syncs.
TEST(CommitLog, BufferedWaitWritesWithoutSyncingAndForceSyncs) {
  TempRoot dir("buffered");
  FaultInjectionEnv env;
  DbOptions o = Options(DurabilityMode::kBuffered, &env);
  o.buffered_interval_ms = 3'600'000;  // the writer never wakes by itself in this test
  o.buffered_batch_size = 1000;
  auto log = OpenLog(o, &env, dir.wal_dir());
  ASSERT_NE(log, nullptr);
  Committer c(*log);
  uint64_t last = 0;
  for (int i = 0; i < 3; ++i) {
    const auto [v, token] = c.Append();
    ASSERT_NE(token, 0u);
    ASSERT_OK(log->WaitDurable(token, false));  // written, not synced
    last = token;
    ExpectCommitsInOrder(ReadWal(dir.wal_dir()), i + 1);
  }
  EXPECT_EQ(log->syncs(), 0u);
  EXPECT_GT(env.unsynced_bytes(), 0u);
  // The per-transaction Strict override: this record and all before it are synced.
  ASSERT_OK(log->WaitDurable(last, true));
  EXPECT_EQ(log->syncs(), 1u);
  EXPECT_EQ(env.unsynced_bytes(), 0u);
  ExpectCommitsInOrder(ReadWal(dir.wal_dir()), 3);
  // Flush makes later appends durable too.
  const auto [v4, t4] = c.Append();
  ASSERT_OK(log->WaitDurable(t4, false));
  EXPECT_EQ(log->syncs(), 1u);
  ASSERT_OK(log->Flush());
  EXPECT_EQ(log->syncs(), 2u);
  EXPECT_EQ(env.unsynced_bytes(), 0u);
  ExpectCommitsInOrder(ReadWal(dir.wal_dir()), 4);
  ASSERT_OK(log->Close());
}

// AppendNext (sharded): the log assigns versions under its own lock. Writers with no lock of
// their own get versions 1..n, each once, and the file holds them in version order, each record
// under the version its writer was given; a Buffered acknowledgement means the record is in the
// file. Small segments make the records cross rolls.
TEST(CommitLog, AppendNextAssignsVersionsInLogOrderWithoutACallerLock) {
  constexpr int kThreads = 4, kPerThread = 300;
  constexpr uint64_t kCommits = uint64_t{kThreads} * kPerThread;
  TempRoot dir("append_next");
  FaultInjectionEnv env;
  DbOptions o = Options(DurabilityMode::kBuffered, &env);
  o.wal_segment_bytes = 4096;
  auto log = OpenLog(o, &env, dir.wal_dir());
  ASSERT_NE(log, nullptr);
  std::atomic<Version> last{0};
  std::vector<std::map<std::string, Version>> given(kThreads);  // key -> version, per thread
  std::atomic<int> failures{0};
  std::vector<std::thread> ts;
  ts.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    ts.emplace_back([&, i] {
      for (int j = 0; j < kPerThread; ++j) {
        const std::string key = "t" + std::to_string(i) + "-" + std::to_string(j);
        TxnState t;
        t.Reset(kRun, 0, 1000);
        WriteEntry& w = t.UpsertWrite(KeyBuf(kRun, Tag::kKv, key).view());
        w.kind = WriteKind::kPut;
        w.value = static_cast<int64_t>(j);
        Version v = 0;
        auto token = log->AppendNext(&last, t, &v);
        if (!token.ok() || !log->WaitDurable(*token, false).ok()) {
          ++failures;
          continue;
        }
        given[i][key] = v;
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(last.load(), kCommits);
  EXPECT_EQ(log->last_version(), kCommits);
  std::map<std::string, Version> all;
  for (const auto& m : given) all.insert(m.begin(), m.end());
  const std::vector<WalRecord> recs = ReadWal(dir.wal_dir());  // acknowledged: in the file
  ASSERT_EQ(recs.size(), kCommits);
  for (size_t i = 0; i < recs.size(); ++i) {
    EXPECT_EQ(recs[i].version, i + 1) << "record " << i;
    EXPECT_EQ(all[recs[i].user_key], i + 1) << "record " << i << " key " << recs[i].user_key;
  }
  std::set<std::string> segments;
  for (const WalRecord& r : recs) segments.insert(r.segment);
  EXPECT_GT(segments.size(), 1u) << "the records should cross segment rolls";
  ASSERT_OK(log->Close());
}

// Waits until pred() holds; bounded (about a minute), as a liveness check, not a speed check.
template <class Pred>
bool WaitUntil(Pred pred) {
  for (int i = 0; i < 60'000 && !pred(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return pred();
}

TEST(CommitLog, BufferedWriterSyncsWhenTheBatchIsFull) {
  TempRoot dir("batch");
  FaultInjectionEnv env;
  DbOptions o = Options(DurabilityMode::kBuffered, &env);
  o.buffered_interval_ms = 3'600'000;
  o.buffered_batch_size = 4;
  auto log = OpenLog(o, &env, dir.wal_dir());
  ASSERT_NE(log, nullptr);
  Committer c(*log);
  for (int i = 0; i < 3; ++i) ASSERT_NE(c.Append().second, 0u);
  EXPECT_EQ(log->syncs(), 0u);  // below the batch size, before the interval: nothing yet
  ASSERT_NE(c.Append().second, 0u);
  // The fourth record fills the batch: the writer writes all four in one round and syncs.
  ASSERT_TRUE(WaitUntil([&] { return log->syncs() >= 1; }));
  EXPECT_EQ(log->syncs(), 1u);
  ExpectCommitsInOrder(ReadWal(dir.wal_dir()), 4);
  EXPECT_EQ(env.unsynced_bytes(), 0u);
  ASSERT_OK(log->Close());
}

TEST(CommitLog, BufferedWriterSyncsWhenTheIntervalPasses) {
  TempRoot dir("interval");
  FaultInjectionEnv env;
  DbOptions o = Options(DurabilityMode::kBuffered, &env);
  o.buffered_interval_ms = 10;
  o.buffered_batch_size = 1000;
  auto log = OpenLog(o, &env, dir.wal_dir());
  ASSERT_NE(log, nullptr);
  Committer c(*log);
  ASSERT_NE(c.Append().second, 0u);
  ASSERT_NE(c.Append().second, 0u);
  // Nobody waits or flushes: the background writer writes and syncs both records on its own.
  ASSERT_TRUE(
      WaitUntil([&] { return ReadWal(dir.wal_dir()).size() == 2 && env.unsynced_bytes() == 0; }));
  ExpectCommitsInOrder(ReadWal(dir.wal_dir()), 2);
  EXPECT_GE(log->syncs(), 1u);
  EXPECT_LE(log->syncs(), 2u);  // one round per record at most; an idle writer does not sync
  ASSERT_OK(log->Close());
  EXPECT_LE(log->syncs(), 2u);
}

TEST(CommitLog, FailedSyncPoisonsTheLog) {
  TempRoot dir("poison");
  FaultInjectionEnv env;
  auto log = OpenLog(Options(DurabilityMode::kStrict, &env), &env, dir.wal_dir());
  ASSERT_NE(log, nullptr);
  Committer c(*log);
  const auto [v1, t1] = c.Append();
  ASSERT_OK(log->WaitDurable(t1, false));
  env.FailSyncs(1);
  const auto [v2, t2] = c.Append();
  ASSERT_NE(t2, 0u);
  const Status s = log->WaitDurable(t2, false);
  EXPECT_EQ(s.code(), Code::kIOError);
  EXPECT_EQ(log->health().code(), Code::kIOError);
  // The failure was a single one, but the log stays poisoned: what reached the file is unknown.
  const auto [v3, t3] = c.Append();
  EXPECT_EQ(t3, 0u);
  auto again = log->Append(3, CommitOf(3));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Code::kIOError);
  EXPECT_EQ(log->WaitDurable(t2, false).code(), Code::kIOError);
  EXPECT_EQ(log->Flush().code(), Code::kIOError);
  EXPECT_EQ(log->syncs(), 1u);  // the failed sync is not counted
  EXPECT_EQ(log->Close().code(), Code::kIOError);
}

TEST(CommitLog, CloseFlushesAndLaterCallsAreShuttingDown) {
  TempRoot dir("close");
  FaultInjectionEnv env;
  DbOptions o = Options(DurabilityMode::kBuffered, &env);
  o.buffered_interval_ms = 3'600'000;
  auto log = OpenLog(o, &env, dir.wal_dir());
  ASSERT_NE(log, nullptr);
  Committer c(*log);
  ASSERT_NE(c.Append().second, 0u);
  ASSERT_NE(c.Append().second, 0u);
  ASSERT_OK(log->Close());
  EXPECT_EQ(env.unsynced_bytes(), 0u);
  ExpectCommitsInOrder(ReadWal(dir.wal_dir()), 2);
  auto late = log->Append(3, CommitOf(3));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), Code::kShuttingDown);
  EXPECT_EQ(log->Flush().code(), Code::kShuttingDown);
  ASSERT_OK(log->Close());  // idempotent
}

TEST(CommitLog, RunLifecycleMarkersAreTracked) {
  TempRoot dir("lifecycle");
  FaultInjectionEnv env;
  const RunId other = RunId::Random();
  snapshot::RunLife recovered{other, 1, 0};  // begun before this log was opened
  auto opened =
      CommitLog::Open(Options(DurabilityMode::kStrict, &env), &env, dir.wal_dir(), 2, {recovered});
  ASSERT_OK(opened);
  std::unique_ptr<CommitLog> log = std::move(opened).value();
  EXPECT_EQ(log->last_version(), 1u);
  const RunId run = RunId::Random();
  TxnState begin = CommitOf(2);
  begin.lifecycle = Lifecycle::kRunBegin;
  begin.lifecycle_run = run;
  ASSERT_OK(log->Append(2, begin));
  ASSERT_OK(log->Append(3, CommitOf(3)));
  TxnState end = CommitOf(4);
  end.lifecycle = Lifecycle::kRunEnd;
  end.lifecycle_run = run;
  ASSERT_OK(log->Append(4, end));
  EXPECT_EQ(log->RunEnd(run), 4u);
  EXPECT_EQ(log->RunEnd(other), 0u);
  auto find = [](const std::vector<snapshot::RunLife>& v, const RunId& r) {
    for (const auto& l : v) {
      if (l.run == r) return l;
    }
    return snapshot::RunLife{};
  };
  const auto at3 = log->RunsAt(3);
  EXPECT_EQ(at3.size(), 2u);
  EXPECT_EQ(find(at3, run).begin, 2u);
  EXPECT_EQ(find(at3, run).end, 0u);  // ended only at 4
  EXPECT_EQ(find(at3, other).begin, 1u);
  const auto at1 = log->RunsAt(1);
  ASSERT_EQ(at1.size(), 1u);
  EXPECT_EQ(at1[0].run, other);
  EXPECT_EQ(find(log->RunsAt(4), run).end, 4u);
  ASSERT_OK(log->Close());
}

}  // namespace
}  // namespace statelab
