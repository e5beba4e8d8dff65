// The measurement plumbing (allocations per op, latency sampling, contention tallies, the loss
// window) and the durability labels: a cell labelled with a mode ran in that mode, inmemory cells
// touch no file, strict cells sync per commit group, and a mislabelled cell fails.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "bench/bench_env.h"
#include "bench/catalogue.h"
#include "bench/phases.h"
#include "bench/run.h"
#include "engines/registry/engine_list.h"
#include "tests/bench/temp_root.h"

namespace statelab::bench {
namespace {

namespace fs = std::filesystem;

using testing_util::TempRoot;

RunnerConfig Config(const std::string& tag) {
  RunnerConfig rc;
  rc.data_root = TempRoot(tag);
  rc.timer_overhead_ns = 20;
  rc.progress = false;
  return rc;
}

// A cell over a state-less fixture running `body` for each op.
template <class Body>
CellDef FunctionCell(std::string op, Timing timing, Body body) {
  struct Fx : Fixture {
    explicit Fx(Body b) : body(std::move(b)) {}
    void Run(Measure& m) override { body(m); }
    Body body;
  };
  CellDef c;
  c.key.tier = "A0";
  c.key.group = "test";
  c.key.op = std::move(op);
  c.key.engine = "null";
  c.key.mode = std::string(kModeNotApplicable);
  c.timing = timing;
  c.make = [body](const CellContext&) -> Result<std::unique_ptr<Fixture>> {
    return std::unique_ptr<Fixture>(new Fx(body));
  };
  return c;
}

TEST(Measure, AllocationsPerOpAreCountedExactly) {
  ASSERT_TRUE(harness::AllocCountingEnabled());
  const CellDef allocating = FunctionCell("alloc", Timing::kLoop, [](Measure& m) {
    m.Loop([](uint64_t i) {
      auto* p = new uint64_t(i);
      benchmark::DoNotOptimize(p);
      delete p;
    });
  });
  DirectRun r = RunDirect(allocating, Config("alloc"), 1000, 3);
  ASSERT_TRUE(r.error.empty()) << r.error;
  ASSERT_TRUE(r.result.allocs_per_op.has_value());
  EXPECT_DOUBLE_EQ(*r.result.allocs_per_op, 1.0);
  EXPECT_DOUBLE_EQ(*r.result.bytes_allocated_per_op, 8.0);

  const CellDef quiet = FunctionCell("quiet", Timing::kLoop, [](Measure& m) {
    m.Loop([](uint64_t i) { benchmark::DoNotOptimize(i); });
  });
  DirectRun q = RunDirect(quiet, Config("quiet"), 1000, 3);
  ASSERT_TRUE(q.error.empty()) << q.error;
  EXPECT_DOUBLE_EQ(*q.result.allocs_per_op, 0.0);
}

TEST(Measure, ResultHasRepetitionsStatsLatencyAndCounters) {
  const CellDef cell = FunctionCell("sleep", Timing::kLoop, [](Measure& m) {
    m.Loop([](uint64_t) { std::this_thread::sleep_for(std::chrono::microseconds(200)); });
  });
  DirectRun r = RunDirect(cell, Config("sleep"), 20, 3);
  ASSERT_TRUE(r.error.empty()) << r.error;
  const harness::BenchmarkResult& b = r.result;
  ASSERT_EQ(b.repetitions.size(), 3u);
  for (const harness::Repetition& rep : b.repetitions) {
    EXPECT_EQ(rep.iterations, 20);
    EXPECT_GE(rep.ns_per_op, 200'000);
    EXPECT_NEAR(rep.ops_per_sec, 1e9 / rep.ns_per_op, 1e-6 * rep.ops_per_sec);
  }
  EXPECT_GE(b.stats.median_ns, 200'000);
  ASSERT_TRUE(b.latency.has_value());
  EXPECT_EQ(b.latency->samples, 60);  // an op this slow is sampled every time
  EXPECT_GE(b.latency->p50_ns, 200'000);
  EXPECT_DOUBLE_EQ(b.latency->timer_overhead_ns, 20);
  // Counters are either available or say why not; never silent zeros.
  if (!b.counters.available) {
    EXPECT_FALSE(b.counters.reason.empty());
    EXPECT_FALSE(b.counters.instructions_per_op.has_value());
  }
}

TEST(Measure, SampleStrideKeepsSamplingCostNearOnePercent) {
  EXPECT_EQ(SampleStride(0, 20), 1u);        // unknown yet: sample everything
  EXPECT_EQ(SampleStride(100'000, 20), 1u);  // slow ops: every op
  EXPECT_EQ(SampleStride(2000, 20), 1u);     // 100 x 20 / 2000 = 1
  EXPECT_EQ(SampleStride(1000, 20), 2u);
  EXPECT_EQ(SampleStride(50, 20), 64u);   // 40 -> next power of two
  EXPECT_EQ(SampleStride(1, 60), 1024u);  // capped
}

TEST(Measure, FailureIsReportedNotMeasured) {
  const CellDef cell = FunctionCell("fail", Timing::kLoop, [](Measure& m) {
    m.Loop([&](uint64_t i) {
      if (i == 3) m.Fail("op 3 broke");
    });
  });
  DirectRun r = RunDirect(cell, Config("fail"), 10, 1);
  EXPECT_EQ(r.error, "op 3 broke");
}

TEST(Contention, TalliesPerThreadAndFairness) {
  const CellDef cell = FunctionCell("phases", Timing::kSingleShot, [](Measure& m) {
    std::vector<std::function<OpOutcome(uint64_t)>> bodies;
    bodies.reserve(3);
    for (int t = 0; t < 3; ++t) {
      bodies.emplace_back([t](uint64_t i) {
        std::this_thread::sleep_for(std::chrono::microseconds(100 * (t + 1)));
        return OpOutcome{true, static_cast<uint32_t>(i % 2)};
      });
    }
    PhaseSpec spec;
    spec.warmup_seconds = 0.02;
    spec.measure_seconds = 0.1;
    m.Once([&] { return RunPhases(m, spec, bodies); });
  });
  DirectRun r = RunDirect(cell, Config("phases"), 1, 1);
  ASSERT_TRUE(r.error.empty()) << r.error;
  const auto& x = r.result.extra;
  EXPECT_EQ(r.result.threads, 3);
  const double c0 = x.at("t0_committed"), c1 = x.at("t1_committed"), c2 = x.at("t2_committed");
  EXPECT_EQ(x.at("committed"), c0 + c1 + c2);
  EXPECT_EQ(r.result.repetitions[0].iterations, static_cast<int64_t>(c0 + c1 + c2));
  EXPECT_GT(c0, c2);  // thread 0's ops are three times shorter
  EXPECT_NEAR(x.at("fairness"), std::min({c0, c1, c2}) / std::max({c0, c1, c2}), 1e-12);
  EXPECT_GT(x.at("aborts"), 0);
  EXPECT_EQ(x.at("retries"), x.at("aborts"));
  // The measured phase is about 0.1 s, whatever the warm-up: throughput uses only it.
  const double secs =
      static_cast<double>(r.result.repetitions[0].iterations) / r.result.repetitions[0].ops_per_sec;
  EXPECT_NEAR(secs, 0.1, 0.05);
}

// measured_threads = 1: thread 0 alone makes the record; the others are background load whose
// ops are reported apart (a writer beside readers).
TEST(Contention, BackgroundThreadsAreNotMeasured) {
  const CellDef cell = FunctionCell("background", Timing::kSingleShot, [](Measure& m) {
    std::vector<std::function<OpOutcome(uint64_t)>> bodies;
    bodies.reserve(3);
    for (int t = 0; t < 3; ++t) {
      bodies.emplace_back([](uint64_t) {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        return OpOutcome{};
      });
    }
    PhaseSpec spec;
    spec.warmup_seconds = 0.02;
    spec.measure_seconds = 0.1;
    spec.measured_threads = 1;
    m.Once([&] { return RunPhases(m, spec, bodies); });
  });
  DirectRun r = RunDirect(cell, Config("background"), 1, 1);
  ASSERT_TRUE(r.error.empty()) << r.error;
  const auto& x = r.result.extra;
  EXPECT_EQ(r.result.threads, 1);
  EXPECT_EQ(x.at("committed"), x.at("t0_committed"));
  EXPECT_EQ(r.result.repetitions[0].iterations, static_cast<int64_t>(x.at("t0_committed")));
  EXPECT_EQ(x.at("background_ops"), x.at("t1_committed") + x.at("t2_committed"));
  EXPECT_GT(x.at("background_ops"), 0);
  EXPECT_EQ(x.at("fairness"), 1.0);  // over the measured thread only
}

TEST(LossWindow, EachCommitWaitsForTheFirstSyncThatCoversIt) {
  // Commits end at byte 10, 20, 30; syncs start with 15 bytes (done at 100) and 30 (done 250).
  const std::vector<int64_t> ack = {10, 20, 40};
  const std::vector<uint64_t> end = {10, 20, 30};
  const std::vector<SyncEvent> syncs = {{15, 100}, {30, 250}};
  LossWindow w = ComputeLossWindow(ack, end, syncs);
  EXPECT_DOUBLE_EQ(w.max_ms, (250 - 20) / 1e6);
  EXPECT_EQ(w.uncovered, 0u);
  const std::vector<SyncEvent> early = {{15, 100}};
  w = ComputeLossWindow(ack, end, early);
  EXPECT_EQ(w.uncovered, 2u);
}

// ---------------------------------------------------------------- durability labels

Catalogue AllModes(const std::string& root, std::vector<std::string> tiers) {
  CatalogueOptions o;
  o.suite = Suite::kQuick;
  o.tiers = std::move(tiers);
  o.threads = {2};
  o.data_root = root;
  Catalogue cat(std::move(o));
  BuildCatalogue(cat);
  return cat;
}

const CellDef* Find(Catalogue& cat, const std::string& name) {
  for (const CellDef& c : cat.cells()) {
    if (c.key.Name() == name) return &c;
  }
  return nullptr;
}

class DurabilityLabels : public ::testing::TestWithParam<std::tuple<std::string, DurabilityMode>> {
};

TEST_P(DurabilityLabels, CellRanInTheModeItIsLabelledWith) {
  const auto& [engine, mode] = GetParam();
  const std::string root = TempRoot("labels");
  Catalogue cat = AllModes(root, {"A1", "durability"});
  const std::string ml(ModeName(mode));
  const std::string suffix = "/" + engine + "/" + ml + "/n=10000";
  for (const std::string& name :
       {"A1/engine/put_direct" + suffix, "durability/commit/put" + suffix}) {
    SCOPED_TRACE(name);
    const CellDef* cell = Find(cat, name);
    ASSERT_NE(cell, nullptr);
    RunnerConfig rc = Config("labels");
    DirectRun r = RunDirect(*cell, rc, 30, 2);
    ASSERT_TRUE(r.error.empty()) << r.error;
    ASSERT_NE(r.fixture, nullptr);
    const std::optional<EngineStats> stats = r.fixture->Stats();
    ASSERT_TRUE(stats.has_value());
    EXPECT_EQ(stats->mode, mode);  // the engine's own report
    EXPECT_EQ(r.result.mode, ml);
    const auto& x = r.result.extra;
    ASSERT_TRUE(x.count("file_ops"));
    ASSERT_TRUE(x.count("engine_commits"));
    EXPECT_GE(x.at("engine_commits"), 30);
    const std::string dir = MakeCellContext(*cell, 0, rc).data_dir;
    if (mode == DurabilityMode::kInMemory) {
      EXPECT_EQ(x.at("file_ops"), 0);
      EXPECT_EQ(r.fixture->FileOps(), 0u);
      EXPECT_FALSE(fs::exists(dir)) << "an inmemory engine created " << dir;
      EXPECT_EQ(x.at("engine_wal_syncs"), 0);
    } else {
      EXPECT_GT(x.at("file_ops"), 0);
      EXPECT_TRUE(fs::exists(dir));
    }
    if (mode == DurabilityMode::kStrict) {
      // Every acknowledged commit was synced, in groups: 0 < syncs <= commits.
      EXPECT_GT(x.at("engine_wal_syncs"), 0);
      EXPECT_LE(x.at("engine_wal_syncs"), x.at("engine_commits"));
      EXPECT_GT(x.at("syncs_per_commit"), 0);
      EXPECT_LE(x.at("syncs_per_commit"), 1.0);
    }
    if (mode == DurabilityMode::kBuffered && name.starts_with("durability/")) {
      ASSERT_TRUE(x.count("loss_window_ms"));
      EXPECT_GT(x.at("loss_window_ms"), 0);
      EXPECT_EQ(x.at("unsynced_at_end"), 0);
    }
  }
}

std::vector<std::tuple<std::string, DurabilityMode>> EnginesTimesModes() {
  std::vector<std::tuple<std::string, DurabilityMode>> v;
  for (std::string_view e : AllEngines::names) {
    for (DurabilityMode m : kAllModes) v.emplace_back(std::string(e), m);
  }
  return v;
}
INSTANTIATE_TEST_SUITE_P(AllEnginesAllModes, DurabilityLabels,
                         ::testing::ValuesIn(EnginesTimesModes()), [](const auto& info) {
                           return std::get<0>(info.param) + "_" +
                                  std::string(ModeName(std::get<1>(info.param)));
                         });

TEST(DurabilityLabels, StrictGroupCommitSharesSyncs) {
  const std::string root = TempRoot("group");
  Catalogue cat = AllModes(root, {"durability"});
  const CellDef* cell = Find(cat, "durability/group_commit/put/btree/strict/threads=2");
  ASSERT_NE(cell, nullptr);
  DirectRun r = RunDirect(*cell, Config("group"), 1, 1);
  ASSERT_TRUE(r.error.empty()) << r.error;
  const auto& x = r.result.extra;
  EXPECT_GT(x.at("engine_wal_syncs"), 0);
  EXPECT_LE(x.at("engine_wal_syncs"),
            x.at("engine_commits") + 1);  // +1: a sync in flight at the edge
  EXPECT_GT(x.at("syncs_per_commit"), 0);
}

// A fixture whose engine reports `reported` and that made `file_ops` file operations.
struct FakeEngineFixture : Fixture {
  FakeEngineFixture(DurabilityMode reported, uint64_t files) : reported(reported), files(files) {}
  void Run(Measure& m) override {
    m.Loop([](uint64_t i) { benchmark::DoNotOptimize(i); });
  }
  std::optional<EngineStats> Stats() const override {
    EngineStats s;
    s.mode = reported;
    return s;
  }
  std::optional<uint64_t> FileOps() const override { return files; }
  DurabilityMode reported;
  uint64_t files;
};

CellDef FakeCell(std::string label, DurabilityMode reported, uint64_t files) {
  CellDef c;
  c.key.tier = "A1";
  c.key.group = "engine";
  c.key.op = "fake";
  c.key.engine = "btree";
  c.key.mode = std::move(label);
  c.make = [reported, files](const CellContext&) -> Result<std::unique_ptr<Fixture>> {
    return std::unique_ptr<Fixture>(new FakeEngineFixture(reported, files));
  };
  return c;
}

TEST(DurabilityLabels, ACellLabelledWithAnotherModeFails) {
  DirectRun r = RunDirect(FakeCell("strict", DurabilityMode::kInMemory, 0), Config("lie"), 10, 1);
  EXPECT_NE(r.error.find("engine reported mode inmemory for a cell labelled strict"),
            std::string::npos)
      << r.error;
  DirectRun ok = RunDirect(FakeCell("strict", DurabilityMode::kStrict, 5), Config("lie"), 10, 1);
  EXPECT_TRUE(ok.error.empty()) << ok.error;
}

TEST(DurabilityLabels, AnInMemoryCellThatTouchesFilesFails) {
  DirectRun r = RunDirect(FakeCell("inmemory", DurabilityMode::kInMemory, 3), Config("io"), 10, 1);
  EXPECT_NE(r.error.find("labelled inmemory made 3 file operations"), std::string::npos) << r.error;
}

TEST(BenchEnv, CountsEveryFileOperationAndWalSyncs) {
  const std::string root = TempRoot("env");
  BenchEnv env;
  ASSERT_TRUE(env.CreateDirs(root + "/wal").ok());
  auto f = env.OpenAppendable(root + "/wal/1.wal");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("hello").ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Append("!!").ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Close().ok());
  EXPECT_EQ(env.file_ops(), 7u);  // mkdir, open, 2 appends, 2 syncs, close
  EXPECT_EQ(env.BusiestRoot(), root + "/wal");
  EXPECT_EQ(env.Appended(root + "/wal"), 7u);
  const std::vector<SyncEvent> syncs = env.Syncs(root + "/wal");
  ASSERT_EQ(syncs.size(), 2u);
  EXPECT_EQ(syncs[0].bytes_before, 5u);
  EXPECT_EQ(syncs[1].bytes_before, 7u);
  EXPECT_LE(syncs[0].done_ns, syncs[1].done_ns);
}

}  // namespace
}  // namespace statelab::bench
