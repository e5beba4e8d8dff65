// The shared-nothing engine: clean shutdown leaves no thread behind, nothing is admitted after
// Close, an idle worker's operation runs on its caller and a worker calling itself runs inline,
// a worker's operations never overlap, a durable directory keeps its worker count, and the mailbox
// neither loses nor duplicates a message.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engines/primitives/database.h"
#include "engines/registry/engine_list.h"
#include "engines/shared_nothing/mailbox.h"
#include "engines/shared_nothing/shared_nothing_engine.h"
#include "tests/common/thread_count.h"

namespace statelab {
namespace {

using Db = Database<SharedNothingEngine>;
using Handle = TxnHandle<WorkerStore>;

std::string TempDir(const std::string& tag) {
  auto p = std::filesystem::temp_directory_path() /
           ("statelab_sn_" + tag + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

std::unique_ptr<Db> OpenDb(uint32_t workers, DurabilityMode mode = DurabilityMode::kInMemory,
                           const std::string& dir = "") {
  DbOptions o;
  o.engine = "shared_nothing";
  o.partitions = workers;
  o.mode = mode;
  o.dir = dir;
  auto db = Db::Open(o);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(db).value() : nullptr;
}

// A run owned by worker `w`.
RunId RunOwnedBy(const SharedNothingEngine& e, size_t w) {
  for (;;) {
    RunId r = RunId::Random();
    if (e.WorkerIndex(r) == w) return r;
  }
}

TEST(SharedNothing, CloseLeavesNoThreadBehind) {
  std::thread([] {}).join();  // lets a sanitizer runtime start its own threads before counting
  for (DurabilityMode mode :
       {DurabilityMode::kInMemory, DurabilityMode::kBuffered, DurabilityMode::kStrict}) {
    SCOPED_TRACE(std::string(ModeName(mode)));
    const std::string dir = TempDir("join");
    const int before = testing_util::SettledThreadCount();
    auto db = OpenDb(4, mode, dir);
    ASSERT_NE(db, nullptr);
    for (int i = 0; i < 16; ++i) {  // every worker, most likely
      ASSERT_TRUE(db->kv().Put(RunId::Random(), "k", int64_t{i}).ok());
    }
    ASSERT_TRUE(db->Close().ok());
    EXPECT_EQ(testing_util::SettledThreadCount(before), before);
    db.reset();
    std::filesystem::remove_all(dir);
  }
}

TEST(SharedNothing, NothingIsAdmittedAfterClose) {
  auto db = OpenDb(2);
  const RunId run = RunId::Random();
  ASSERT_TRUE(db->kv().Put(run, "k", int64_t{1}).ok());
  ASSERT_TRUE(db->Close().ok());
  Value v;
  EXPECT_EQ(db->kv().Put(run, "k", int64_t{2}).status().code(), Code::kShuttingDown);
  EXPECT_EQ(db->kv().Get(run, "k", &v).code(), Code::kShuttingDown);
  EXPECT_EQ(db->Transaction(run, [](Handle&) { return Status::OK(); }).status().code(),
            Code::kShuttingDown);
  EXPECT_EQ(db->Read(run, [](Handle&) { return Status::OK(); }).code(), Code::kShuttingDown);
  EXPECT_EQ(db->engine().Execute(run, [](WorkerStore&) { return Status::OK(); }).code(),
            Code::kShuttingDown);
  EXPECT_EQ(db->engine().ForEachPartition([](WorkerStore&) { return Status::OK(); }).code(),
            Code::kShuttingDown);
  EXPECT_EQ(db->Flush().code(), Code::kShuttingDown);
  EXPECT_EQ(db->engine().Snapshot().code(), Code::kShuttingDown);
  EXPECT_TRUE(db->Close().ok());  // idempotent
  EngineStats s = db->Stats();    // still readable from the joined workers' stores
  EXPECT_EQ(s.commits, 1u);
  EXPECT_EQ(s.keys, 3u);  // the key, its search posting ("k") and its search stats
}

// Nobody else uses the workers: every operation runs on the calling thread, no hop; a nested call
// into the same worker runs inline on the same store, one into another worker on that store.
TEST(SharedNothing, IdleWorkersRunOnTheCallerAndNestedCallsInline) {
  auto db = OpenDb(4);
  auto& e = db->engine();
  const RunId mine = RunOwnedBy(e, 1);
  const RunId other = RunOwnedBy(e, 2);
  std::thread::id outer, inner, remote;
  const WorkerStore* outer_store = nullptr;
  const WorkerStore* inner_store = nullptr;
  const WorkerStore* remote_store = nullptr;
  ASSERT_TRUE(e.Execute(mine, [&](WorkerStore& s) -> Status {
                 outer = std::this_thread::get_id();
                 outer_store = &s;
                 STATELAB_RETURN_IF_ERROR(e.Execute(mine, [&](WorkerStore& s2) {
                   inner = std::this_thread::get_id();
                   inner_store = &s2;
                   return Status::OK();
                 }));
                 return e.Execute(other, [&](WorkerStore& s3) {
                   remote = std::this_thread::get_id();
                   remote_store = &s3;
                   return Status::OK();
                 });
               }).ok());
  EXPECT_EQ(outer, std::this_thread::get_id());
  EXPECT_EQ(inner, outer);
  EXPECT_EQ(inner_store, outer_store);
  EXPECT_EQ(remote, outer);
  EXPECT_NE(remote_store, outer_store);
}

// A transaction function that commits in its own run through a facade would run inline on the
// worker, beside the outer transaction's snapshot: the call is refused (InTransactionScope), so
// serial execution is all the outer transaction needs.
TEST(SharedNothing, NestedFacadeCommitInOwnRunIsRefused) {
  auto db = OpenDb(2);
  const RunId run = RunId::Random();
  ASSERT_TRUE(db->kv().Put(run, "x", int64_t{0}).ok());
  TxnOptions once;
  once.retry.max_retries = 0;
  Result<Version> outer = db->Transaction(
      run,
      [&](Handle& h) -> Status {
        Value v;
        STATELAB_RETURN_IF_ERROR(h.kv().Get("x", &v));
        EXPECT_EQ(db->kv().Put(run, "x", std::get<int64_t>(v) + 1).status().code(),
                  Code::kInvalidArgument);
        return h.kv().Put("x", std::get<int64_t>(v) + 1);
      },
      once);
  EXPECT_TRUE(outer.ok()) << outer.status().ToString();
  Value v;
  ASSERT_TRUE(db->kv().Get(run, "x", &v).ok());
  EXPECT_EQ(std::get<int64_t>(v), 1);
}

// A durable directory keeps the worker count it was created with, whatever the default: each
// run's log is in its owner's root (RunId hash modulo the count). Partitions 0 reopens it with
// that count and finds every run; another count, or a missing root, is refused by name.
TEST(SharedNothing, DurableDirectoryKeepsItsWorkerCount) {
  const std::string dir = TempDir("count");
  DbOptions o;
  o.engine = "shared_nothing";
  o.mode = DurabilityMode::kStrict;
  o.dir = dir;
  const std::string fresh_dir = TempDir("default");
  {
    auto fresh = OpenDb(0, o.mode, fresh_dir);  // a new directory takes the default
    ASSERT_NE(fresh, nullptr);
    EXPECT_EQ(fresh->engine().num_workers(),
              std::min(SharedNothingEngine::kMaxWorkers,
                       4 * std::max(1u, std::thread::hardware_concurrency())));
  }
  std::vector<RunId> runs;
  {
    auto db = OpenDb(3, o.mode, dir);
    ASSERT_NE(db, nullptr);
    for (size_t w = 0; w < 3; ++w) {
      runs.push_back(RunOwnedBy(db->engine(), w));
      ASSERT_TRUE(db->kv().Put(runs.back(), "k", static_cast<int64_t>(w)).ok());
    }
    ASSERT_TRUE(db->Close().ok());
  }
  {
    auto db = OpenDb(0, o.mode, dir);
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(db->engine().num_workers(), 3u);
    for (size_t w = 0; w < runs.size(); ++w) {
      Value v;
      ASSERT_TRUE(db->kv().Get(runs[w], "k", &v).ok()) << w;
      EXPECT_EQ(std::get<int64_t>(v), static_cast<int64_t>(w));
    }
  }
  o.partitions = 8;
  Result<std::unique_ptr<Db>> other = Db::Open(o);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), Code::kInvalidArgument);
  EXPECT_NE(other.status().message().find("holds 3 worker logs"), std::string_view::npos)
      << other.status().ToString();
  std::filesystem::remove_all(dir + "/worker-1");
  o.partitions = 0;
  Result<std::unique_ptr<Db>> gap = Db::Open(o);
  ASSERT_FALSE(gap.ok());
  EXPECT_EQ(gap.status().code(), Code::kInvalidArgument);
  EXPECT_NE(gap.status().message().find("one is missing"), std::string_view::npos)
      << gap.status().ToString();
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(fresh_dir);
}

// The bare mailbox: many senders, one consumer; every message is received exactly once and every
// sender sees its own completion.
TEST(Mailbox, StressNoLostOrDuplicatedMessage) {
  struct Msg : MailboxNode {
    int sender = 0;
    int seq = 0;
    int echoed = -1;
  };
  constexpr int kSenders = 8;
  constexpr int kMessages = 3000;
  Mailbox box;
  std::atomic<bool> stop{false};
  std::vector<std::vector<uint8_t>> seen(kSenders, std::vector<uint8_t>(kMessages, 0));
  std::thread consumer([&] {
    for (;;) {
      while (MailboxNode* n = box.Receive()) {
        auto* m = static_cast<Msg*>(n);
        ++seen[m->sender][m->seq];
        m->echoed = m->seq;
        box.Complete(m);
      }
      if (stop.load() && box.Empty()) return;
      box.Park(stop);
    }
  });
  std::atomic<int> mismatches{0};
  std::vector<std::thread> senders;
  senders.reserve(kSenders);
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&, s] {
      for (int i = 0; i < kMessages; ++i) {
        Msg m;  // on this stack, reused address after address
        m.sender = s;
        m.seq = i;
        ASSERT_TRUE(box.Send(&m, nullptr));
        box.Await(&m);
        if (m.echoed != i) mismatches.fetch_add(1);
      }
    });
  }
  for (auto& t : senders) t.join();
  EXPECT_EQ(box.in_flight(), 0u);
  stop.store(true);
  box.Wake();
  consumer.join();
  EXPECT_EQ(mismatches.load(), 0);
  for (int s = 0; s < kSenders; ++s) {
    for (int i = 0; i < kMessages; ++i) ASSERT_EQ(seen[s][i], 1) << s << "/" << i;
  }
}

// Through the engine: many callers x many operations over every worker; a worker's operations
// never overlap, whichever thread runs them.
TEST(SharedNothing, StressEveryOperationRunsOnceAndAlone) {
  constexpr int kWorkers = 3;
  constexpr int kCallers = 8;
  constexpr int kOps = 1500;
  auto db = OpenDb(kWorkers);
  auto& e = db->engine();
  std::vector<RunId> runs;
  runs.reserve(kWorkers);
  for (int w = 0; w < kWorkers; ++w) runs.push_back(RunOwnedBy(e, w));
  // Slot w is written only under worker w's exclusion (and read after the callers joined).
  std::vector<int64_t> executed(kWorkers, 0);
  std::vector<std::atomic<int>> inside(kWorkers);
  std::atomic<int> overlaps{0};
  std::atomic<int> wrong_count{0};
  std::vector<std::thread> callers;
  callers.reserve(kCallers);
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      for (int i = 0; i < kOps; ++i) {
        const int w = (c + i) % kWorkers;
        int ran = 0;
        Status s = e.Execute(runs[w], [&](WorkerStore&) {
          if (inside[w].fetch_add(1) != 0) overlaps.fetch_add(1);
          ++ran;
          ++executed[w];
          std::this_thread::yield();  // widens the window another thread would overlap in
          inside[w].fetch_sub(1);
          return Status::OK();
        });
        ASSERT_TRUE(s.ok());
        if (ran != 1) wrong_count.fetch_add(1);
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(wrong_count.load(), 0);
  int64_t total = 0;
  for (int64_t n : executed) total += n;
  EXPECT_EQ(total, int64_t{kCallers} * kOps);
}

}  // namespace
}  // namespace statelab
