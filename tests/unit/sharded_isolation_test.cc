// The sharded engine keeps runs apart: while a transaction of run A holds its shard (a scan
// callback blocks, so the shard stays read-locked), run B on another shard still commits, and
// snapshots stay repeatable while other shards commit. Measured as completion, not as time.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "engines/primitives/database.h"
#include "engines/registry/engine_list.h"
#include "engines/sharded/sharded_engine.h"

namespace statelab {
namespace {

using Db = Database<ShardedEngine>;
using Handle = TxnHandle<Shard>;

constexpr int kCommitsInB = 1000;

std::unique_ptr<Db> OpenDb() {
  DbOptions o;
  o.engine = "sharded";
  o.partitions = 8;
  auto db = Db::Open(o);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return std::move(db).value();
}

RunId RunInShard(const ShardedEngine& e, const RunId& a, bool same_shard) {
  for (;;) {
    RunId r = RunId::Random();
    if (r != a && (e.ShardIndex(r) == e.ShardIndex(a)) == same_shard) return r;
  }
}

// A transaction in `run` that stays open, its scan callback blocked (the run's shard read-locked),
// until Release().
class BlockedTransaction {
 public:
  BlockedTransaction(Db& db, const RunId& run) {
    EXPECT_TRUE(db.kv().Put(run, "a/key", int64_t{1}).ok());
    thread_ = std::thread([&db, run, this] {
      TxnOptions once;
      once.retry.max_retries = 0;
      result_ = db.Transaction(
                      run,
                      [this](Handle& h) -> Status {
                        STATELAB_RETURN_IF_ERROR(h.kv().Put("a/written", int64_t{2}));
                        return h.raw().Scan(Tag::kKv, "a/", [this](auto&&...) {
                          inside_.store(true);
                          inside_.notify_all();
                          release_.wait(false);
                          return true;
                        });
                      },
                      once)
                    .status();
      done_.store(true);
    });
    inside_.wait(false);
  }
  ~BlockedTransaction() { (void)Release(); }  // the test asserted on it, or failed already

  bool done() const { return done_.load(); }
  Status Release() {
    release_.store(true);
    release_.notify_all();
    if (thread_.joinable()) thread_.join();
    return result_;
  }

 private:
  std::atomic<bool> inside_{false};
  std::atomic<bool> release_{false};
  std::atomic<bool> done_{false};
  Status result_;
  std::thread thread_;
};

// Commits kCommitsInB times in `run` on its own thread, counting completed commits.
class Committer {
 public:
  Committer(Db& db, const RunId& run) {
    thread_ = std::thread([&db, run, this] {
      for (int i = 0; i < kCommitsInB; ++i) {
        if (!db.kv().Put(run, "counter", int64_t{i}).ok()) return;
        committed_.fetch_add(1);
      }
    });
  }
  ~Committer() { Join(); }
  int committed() const { return committed_.load(); }
  // Waits for all commits, up to `limit` (only a failing run ever reaches it).
  bool WaitAll(std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (committed() < kCommitsInB && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return committed() == kCommitsInB;
  }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<int> committed_{0};
  std::thread thread_;
};

TEST(ShardedIsolation, RunBCommitsWhileRunAHoldsItsShard) {
  auto db = OpenDb();
  const RunId a = RunId::Random();
  const RunId b = RunInShard(db->engine(), a, /*same_shard=*/false);
  BlockedTransaction open_in_a(*db, a);
  Committer in_b(*db, b);
  const bool all = in_b.WaitAll(std::chrono::seconds(120));
  EXPECT_FALSE(open_in_a.done()) << "A's transaction must still be open";
  EXPECT_TRUE(all) << "only " << in_b.committed() << " of " << kCommitsInB
                   << " commits in B completed while A's transaction was open";
  ASSERT_TRUE(open_in_a.Release().ok());
  in_b.Join();
  Value v;
  ASSERT_TRUE(db->kv().Get(a, "a/written", &v).ok());
  ASSERT_TRUE(db->kv().Get(b, "counter", &v).ok());
  EXPECT_EQ(std::get<int64_t>(v), kCommitsInB - 1);
}

// Control: the test above can fail. A run in the same shard cannot commit while the shard is
// read-locked, so no commit completes until A's transaction ends.
TEST(ShardedIsolation, ControlRunInSameShardWaits) {
  auto db = OpenDb();
  const RunId a = RunId::Random();
  const RunId b = RunInShard(db->engine(), a, /*same_shard=*/true);
  BlockedTransaction open_in_a(*db, a);
  Committer in_b(*db, b);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // B's chance to (wrongly) commit
  EXPECT_EQ(in_b.committed(), 0);
  ASSERT_TRUE(open_in_a.Release().ok());
  EXPECT_TRUE(in_b.WaitAll(std::chrono::seconds(120)));
}

// A snapshot taken from the global counter includes versions of commits still being installed in
// other shards; a read in the reader's own shard must never change within one snapshot.
TEST(ShardedIsolation, SnapshotsStayRepeatableWhileOtherShardsCommit) {
  auto db = OpenDb();
  const RunId a = RunId::Random();
  const RunId b = RunInShard(db->engine(), a, /*same_shard=*/false);
  ASSERT_TRUE(db->kv().Put(a, "x", int64_t{0}).ok());
  std::atomic<bool> stop{false};
  std::thread writer_a([&] {
    for (int64_t i = 1; !stop.load(); ++i) ASSERT_TRUE(db->kv().Put(a, "x", i).ok());
  });
  std::thread writer_b([&] {
    for (int64_t i = 1; !stop.load(); ++i) ASSERT_TRUE(db->kv().Put(b, "y", i).ok());
  });
  for (int i = 0; i < 20000; ++i) {
    ASSERT_TRUE(db->Read(a, [](Handle& h) -> Status {
                    Value first, second;
                    STATELAB_RETURN_IF_ERROR(h.kv().Get("x", &first));
                    STATELAB_RETURN_IF_ERROR(h.kv().Get("x", &second));
                    EXPECT_EQ(first, second);
                    return Status::OK();
                  }).ok());
  }
  stop.store(true);
  writer_a.join();
  writer_b.join();
}

}  // namespace
}  // namespace statelab
