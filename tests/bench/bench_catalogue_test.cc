// Cell names, flags and the catalogue: the quick suite covers every engine x every mode in the
// tiers the acceptance lists; cells of a mode that cannot open are skipped with the reason.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "bench/catalogue.h"
#include "bench/flags.h"
#include "bench/ycsb.h"
#include "engines/registry/engine_list.h"
#include "tests/bench/temp_root.h"

namespace statelab::bench {
namespace {

using testing_util::TempRoot;

TEST(CellName, TierGroupOpEngineModeAndSortedParams) {
  CellKey k;
  k.tier = "B";
  k.group = "vector";
  k.op = "search";
  k.engine = "btree";
  k.mode = "strict";
  k.params = {{"n", 10000.0}, {"k", 10.0}, {"dim", 128.0}, {"dist", std::string("zipf")}};
  EXPECT_EQ(k.Name(), "B/vector/search/btree/strict/dim=128,dist=zipf,k=10,n=10000");
  k.params.clear();
  EXPECT_EQ(k.Name(), "B/vector/search/btree/strict");
  k.thread_series = true;
  k.threads = 4;
  EXPECT_EQ(k.Name(), "B/vector/search/btree/strict/threads=4");
  EXPECT_EQ(ParamsSegment({{"theta", 0.99}}), "theta=0.99");
}

TEST(CellName, VirtualLabel) {
  EXPECT_EQ(VirtualLabel("btree"), "btree+any");
  EXPECT_EQ(BaseEngine("btree+any"), "btree");
  EXPECT_EQ(BaseEngine("sharded"), "sharded");
}

Status Parse(std::vector<const char*> args, BenchOptions* o) {
  args.insert(args.begin(), "statelab-bench");
  return ParseBenchFlags(static_cast<int>(args.size()), args.data(), o);
}

TEST(Flags, ParsesEveryFlag) {
  BenchOptions o;
  ASSERT_TRUE(Parse({"--engines",
                     "btree,sharded",
                     "--modes=strict",
                     "--suite",
                     "standard",
                     "--tier",
                     "A1,B",
                     "--filter",
                     "kv/get",
                     "--repetitions",
                     "7",
                     "--threads",
                     "1,4",
                     "--cores",
                     "2",
                     "--seed",
                     "42",
                     "--out",
                     "/tmp/x",
                     "--min-time",
                     "0.5",
                     "--label",
                     "nightly",
                     "--warning",
                     "w1",
                     "--warning",
                     "w2",
                     "--list"},
                    &o)
                  .ok());
  EXPECT_EQ(o.engines, (std::vector<std::string>{"btree", "sharded"}));
  EXPECT_EQ(o.modes, (std::vector<std::string>{"strict"}));
  EXPECT_EQ(o.suite, Suite::kStandard);
  EXPECT_EQ(o.tiers, (std::vector<std::string>{"A1", "B"}));
  EXPECT_EQ(o.filter, "kv/get");
  EXPECT_EQ(o.Repetitions(), 7);
  EXPECT_EQ(o.ThreadCounts(), (std::vector<int>{1, 4}));
  EXPECT_EQ(o.cores, 2);
  EXPECT_EQ(o.seed, 42u);
  EXPECT_EQ(o.out, "/tmp/x");
  EXPECT_DOUBLE_EQ(o.MinTime(), 0.5);
  EXPECT_EQ(o.label, "nightly");
  EXPECT_EQ(o.warnings.size(), 2u);
  EXPECT_TRUE(o.list);
  EXPECT_EQ(o.SuiteLabel(), "custom");  // --tier / --filter narrowed it
}

TEST(Flags, DefaultsBySuite) {
  BenchOptions o;
  ASSERT_TRUE(Parse({}, &o).ok());
  EXPECT_EQ(o.SuiteLabel(), "quick");
  EXPECT_EQ(o.Repetitions(), 5);
  EXPECT_EQ(o.ThreadCounts(), (std::vector<int>{1, 2}));
  ASSERT_TRUE(Parse({"--suite", "full"}, &o).ok());
  EXPECT_EQ(o.Repetitions(), 9);
  EXPECT_EQ(o.ThreadCounts(), (std::vector<int>{1, 2, 4, 8}));
}

TEST(Flags, RejectsWhatItDoesNotKnow) {
  BenchOptions o;
  const Status err = Parse({"--bogus"}, &o);
  EXPECT_EQ(err.code(), Code::kInvalidArgument);
  EXPECT_EQ(err.message(), "unknown flag '--bogus' (see --help)");
  EXPECT_FALSE(Parse({"--engines", "btree,nosuch"}, &o).ok());
  EXPECT_FALSE(Parse({"--modes", "eventually"}, &o).ok());
  EXPECT_FALSE(Parse({"--suite", "huge"}, &o).ok());
  EXPECT_FALSE(Parse({"--tier", "Z"}, &o).ok());
  EXPECT_FALSE(Parse({"--repetitions", "0"}, &o).ok());
  EXPECT_FALSE(Parse({"--repetitions"}, &o).ok());  // missing value
  const Status filter = Parse({"--filter", "("}, &o);
  EXPECT_EQ(filter.message().substr(0, 40), "--filter: invalid regular expression '('");
  EXPECT_FALSE(Parse({"--threads", "1,x"}, &o).ok());
  EXPECT_FALSE(Parse({"--list=yes"}, &o).ok());
}

Catalogue Quick(std::string root, std::vector<std::string> modes = {}) {
  CatalogueOptions o;
  o.suite = Suite::kQuick;
  o.threads = {1, 2};
  o.data_root = std::move(root);
  o.modes = std::move(modes);
  Result<std::vector<HarnessWorkload>> files = LoadHarnessWorkloads(HarnessWorkloadDir());
  EXPECT_TRUE(files.ok()) << files.error().ToString();
  if (files.ok()) o.harness = std::move(*files);
  Catalogue cat(std::move(o));
  BuildCatalogue(cat);
  return cat;
}

TEST(Catalogue, QuickCoversEveryEngineAndModeInTheAcceptanceTiers) {
  Catalogue cat = Quick(TempRoot("cover"));
  std::set<std::string> seen;  // tier|engine|mode, run or skipped with a reason
  std::set<std::string> names;
  for (const CellDef& c : cat.cells()) {
    seen.insert(c.key.tier + "|" + c.key.engine + "|" + c.key.mode);
    EXPECT_TRUE(names.insert(c.key.Name()).second) << "duplicate cell " << c.key.Name();
  }
  for (const SkippedCell& s : cat.skipped()) {
    EXPECT_FALSE(s.reason.empty()) << s.key.Name();
    seen.insert(s.key.tier + "|" + s.key.engine + "|" + s.key.mode);
  }
  for (std::string_view engine : AllEngines::names) {
    EXPECT_TRUE(seen.count("A0|" + std::string(engine) + "|n/a")) << engine;
    for (DurabilityMode m : kAllModes) {
      for (const char* tier : {"A1", "B", "C", "D", "durability", "recovery"}) {
        EXPECT_TRUE(seen.count(std::string(tier) + "|" + std::string(engine) + "|" +
                               std::string(ModeName(m))))
            << tier << " " << engine << " " << ModeName(m);
      }
    }
  }
  // The harness floor and the facade-tax ops through the virtual wrapper are there too.
  EXPECT_TRUE(names.count("A0/raw/noop/null/n/a"));
  EXPECT_TRUE(names.count("A1/engine/get_direct/btree+any/inmemory/n=10000"));
  EXPECT_TRUE(names.count("B/kv/put/btree+any/strict/n=10000"));
  // The names the gates select (docs/gates.md).
  EXPECT_TRUE(names.count("A0/raw/get_uniform/btree/n/a/n=10000"));
  EXPECT_TRUE(names.count("A0/raw/put_prealloc/sharded/n/a/n=10000"));
  EXPECT_TRUE(names.count("A1/engine/snapshot_acquire/shared_nothing/buffered"));
  EXPECT_TRUE(names.count("D/disjoint/put/btree/inmemory/threads=2"));
  // Defined by workloads/harness/D/mixed/read80_write20.properties, under its old name.
  EXPECT_TRUE(names.count("D/mixed/read80_write20/sharded/strict/threads=2"));
  // A writer alone and beside four readers of its run (issue 19), for every engine.
  for (std::string_view engine : AllEngines::names) {
    for (const char* readers : {"0", "4"}) {
      EXPECT_TRUE(names.count("D/writer_vs_readers/put/" + std::string(engine) +
                              "/inmemory/threads=1,readers=" + readers))
          << engine;
    }
  }
  EXPECT_TRUE(names.count("recovery/wal/replay/btree/strict/n=10000"));
  EXPECT_TRUE(names.count("B/vector/search/btree/inmemory/dim=128,k=10,n=1000"));
}

TEST(Catalogue, SelectionNarrowsCellsAndSkips) {
  CatalogueOptions o;
  o.engines = {"sharded"};
  o.modes = {"buffered"};
  o.tiers = {"B", "recovery"};
  o.filter.emplace("kv/(get|put)/|wal/replay");
  o.threads = {1};
  o.data_root = TempRoot("select");
  Catalogue cat(std::move(o));
  BuildCatalogue(cat);
  ASSERT_FALSE(cat.cells().empty());
  for (const CellDef& c : cat.cells()) {
    EXPECT_EQ(BaseEngine(c.key.engine), "sharded") << c.key.Name();
    EXPECT_EQ(c.key.mode, "buffered") << c.key.Name();
    EXPECT_TRUE(c.key.tier == "B" || c.key.tier == "recovery") << c.key.Name();
  }
  EXPECT_TRUE(cat.skipped().empty());
}

TEST(Catalogue, ModeThatCannotOpenIsSkippedWithTheReasonNotDropped) {
  CatalogueOptions o;
  o.engines = {"btree"};
  o.tiers = {"A1"};
  o.threads = {1};
  o.data_root = TempRoot("unavailable");
  Catalogue cat(std::move(o));
  cat.ProbeEngine<BTreeEngine>();
  cat.SetAvailability("btree", DurabilityMode::kStrict, "strict: not implemented yet");
  AddRawAndEngineTiers(cat);
  size_t strict_skips = 0;
  for (const SkippedCell& s : cat.skipped()) {
    EXPECT_EQ(s.key.mode, "strict") << s.key.Name();
    EXPECT_EQ(s.reason, "strict: not implemented yet");
    ++strict_skips;
  }
  EXPECT_GT(strict_skips, 0u);
  for (const CellDef& c : cat.cells()) EXPECT_NE(c.key.mode, "strict") << c.key.Name();
}

}  // namespace
}  // namespace statelab::bench
