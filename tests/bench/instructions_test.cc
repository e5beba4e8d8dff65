// --metric instructions plumbing without valgrind: which cells are countable, the callgrind output
// parser, dumps applied to results, the flags, and the null engine's work knob (the real
// callgrind runs are in instructions_test.sh).
#include "bench/instructions.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "bench/flags.h"
#include "bench/null_engine.h"
#include "tests/bench/temp_root.h"
#include "util/json.h"

namespace statelab::bench {
namespace {

CellDef Def(Timing timing, int threads) {
  CellDef c;
  c.key.tier = "A1";
  c.key.group = "engine";
  c.key.op = "get_direct";
  c.key.engine = "null";
  c.key.mode = "n/a";
  c.key.threads = threads;
  c.timing = timing;
  return c;
}

TEST(Instructions, OnlySingleThreadedLoopAndManualCellsAreCountable) {
  EXPECT_EQ(NotCountable(Def(Timing::kLoop, 1)), "");
  EXPECT_EQ(NotCountable(Def(Timing::kManual, 1)), "");
  EXPECT_NE(NotCountable(Def(Timing::kSingleShot, 1)).find("single-shot"), std::string::npos);
  EXPECT_NE(NotCountable(Def(Timing::kLoop, 4)).find("multi-threaded"), std::string::npos);
  CellDef durable = Def(Timing::kLoop, 1);
  durable.key.mode = "buffered";
  EXPECT_NE(NotCountable(durable).find("WAL thread"), std::string::npos);
}

TEST(Instructions, KeepCountableMovesTheRestToSkippedWithTheReason) {
  Catalogue cat(CatalogueOptions{});
  cat.cells().push_back(Def(Timing::kLoop, 1));
  cat.cells().push_back(Def(Timing::kLoop, 2));
  KeepCountable(cat);
  ASSERT_EQ(cat.cells().size(), 1U);
  ASSERT_EQ(cat.skipped().size(), 1U);
  EXPECT_FALSE(cat.skipped()[0].failed);
  EXPECT_NE(cat.skipped()[0].reason.find("--metric instructions"), std::string::npos);
}

constexpr char kDump[] =
    "# callgrind format\n"
    "version: 1\n"
    "creator: callgrind-3.19.0\n"
    "pid: 4242\n"
    "cmd:  ./statelab-bench --metric instructions\n"
    "part: 3\n"
    "\n"
    "desc: I1 cache: \n"
    "desc: Timerange: Basic block 100 - 2000\n"
    "desc: Trigger: Client Request: A1/engine/get_direct/null/n/a/dist=uniform\n"
    "\n"
    "positions: line\n"
    "events: Ir\n"
    "summary: 1234567\n"
    "\n"
    "fn=(1) main\n"
    "0 10\n"
    "\n"
    "totals: 1234567\n";

TEST(Instructions, ParsesTheTriggerAndTotals) {
  Result<CallgrindDump> d = ParseCallgrindOut(kDump, "callgrind.out.3");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->trigger, "A1/engine/get_direct/null/n/a/dist=uniform");
  EXPECT_EQ(d->instructions, 1234567U);
}

TEST(Instructions, OutputWithoutTotalsIsAnErrorNamingTheFile) {
  Result<CallgrindDump> d = ParseCallgrindOut("# callgrind format\nevents: Ir\n", "cg.out.1");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().ToString().find("cg.out.1"), std::string::npos);
}

TEST(Instructions, ReadsEveryDumpOfAFolder) {
  const std::string dir = testing_util::TempRoot("cgdumps");
  std::filesystem::create_directories(dir);
  ASSERT_TRUE(util::WriteFile(dir + "/callgrind.out.1", kDump).ok());
  // The dump at exit: no client request (and here no totals either): skipped, not an error.
  ASSERT_TRUE(
      util::WriteFile(dir + "/callgrind.out", "desc: Trigger: Program termination\nevents: Ir\n")
          .ok());
  ASSERT_TRUE(util::WriteFile(dir + "/unrelated.txt", "x").ok());
  Result<std::map<std::string, uint64_t>> dumps = ReadCallgrindDumps(dir);
  ASSERT_TRUE(dumps.ok()) << dumps.status().ToString();
  ASSERT_EQ(dumps->size(), 1U);
  EXPECT_EQ(dumps->at("A1/engine/get_direct/null/n/a/dist=uniform"), 1234567U);
}

TEST(Instructions, DumpsBecomeInstructionsPerOp) {
  std::vector<harness::BenchmarkResult> results(1);
  results[0].name = "x";
  results[0].repetitions.push_back({100, 1e7, 1000});
  results[0].counters.reason = "perf_event_open refused";
  ASSERT_TRUE(ApplyDumps({{"x", 250000}}, "from callgrind", &results).ok());
  EXPECT_DOUBLE_EQ(*results[0].counters.instructions_per_op, 250.0);
  EXPECT_EQ(results[0].counters.reason, "from callgrind; perf_event_open refused");
  results[0].name = "y";
  EXPECT_FALSE(ApplyDumps({{"x", 1}}, "from callgrind", &results).ok()) << "no dump for y";
}

TEST(Instructions, Flags) {
  BenchOptions o;
  const char* args[] = {"statelab-bench", "--metric", "instructions", "--instruction-ops", "500",
                        "--null-work",    "100"};
  ASSERT_TRUE(ParseBenchFlags(7, args, &o).ok());
  EXPECT_EQ(o.metric, Metric::kInstructions);
  EXPECT_EQ(o.instruction_ops, 500U);
  EXPECT_EQ(o.null_work, 100U);
  BenchOptions bad;
  const char* unknown[] = {"statelab-bench", "--metric", "cycles"};
  const Status s = ParseBenchFlags(3, unknown, &bad);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.ToString().find("--metric: unknown value 'cycles'"), std::string::npos);
  const char* zero_ops[] = {"statelab-bench", "--instruction-ops", "0"};
  EXPECT_FALSE(ParseBenchFlags(3, zero_ops, &bad).ok());
}

TEST(NullEngineWork, TheKnobSpinsOnlyWhenSet) {
  EXPECT_EQ(NullEngine::work(), 0U);
  NullEngine::SetWork(1000);
  EXPECT_EQ(NullEngine::work(), 1000U);
  NullEngine e;
  Version v = 1;
  EXPECT_TRUE(e.View(
                   0, "k", 0, [](auto&&...) {}, &v)
                  .IsNotFound());
  EXPECT_EQ(v, 0U);
  NullEngine::SetWork(0);
}

}  // namespace
}  // namespace statelab::bench
