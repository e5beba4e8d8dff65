// Report writers and INDEX.md regenerated from the fixture runs: cells must equal the numbers in
// the fixture baseline.json; missing inputs are reported as skipped, never invented.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "gates/gate_eval.h"
#include "gates/run_facts.h"
#include "harness/baseline.h"
#include "reports/index.h"
#include "reports/run_report.h"
#include "tests/gates/test_util.h"
#include "util/format.h"
#include "util/json.h"
#include "util/markdown.h"

#ifndef STATELAB_REPORT_BIN
#error "STATELAB_REPORT_BIN must point at the built statelab-report"
#endif

namespace statelab::reports {
namespace {

namespace fs = std::filesystem;
using statelab::testing_util::Fixture;
using statelab::testing_util::Quoted;
using statelab::testing_util::ReadAll;
using statelab::testing_util::RunCommand;
using statelab::testing_util::SourcePath;
using statelab::testing_util::TempDir;
using statelab::testing_util::ValueOf;
using util::FormatNumber;

constexpr char kSample[] = "run_2024-05-01_12-00-00_abc1234_sample";
constexpr char kOlder[] = "run_2024-04-01_09-30-00_0ff1ce5";

// Copies the fixture runs into a fresh results folder.
void CopyRuns(const TempDir& results) {
  for (const char* run : {kSample, kOlder}) {
    fs::copy(Fixture(std::string("runs/") + run), results / run, fs::copy_options::recursive);
  }
}

// Median ns of a benchmark as written in the fixture file itself.
double FixtureMedian(const std::string& run, const std::string& name) {
  const boost::json::value v =
      ValueOf(util::LoadJsonFile(Fixture("runs/" + run + "/baseline.json")));
  for (const auto& b : v.at("benchmarks").as_array()) {
    if (b.at("name").as_string() == name) {
      return util::AsNumber(&b.at("stats").at("median_ns")).value();
    }
  }
  ADD_FAILURE() << "no benchmark " << name;
  return -1;
}

// "median (min–max, cv X%, n N)" as the reports write a cell, from the fixture file's own stats.
std::string FixtureSpread(const std::string& run, const std::string& name) {
  const boost::json::value v =
      ValueOf(util::LoadJsonFile(Fixture("runs/" + run + "/baseline.json")));
  for (const auto& b : v.at("benchmarks").as_array()) {
    if (b.at("name").as_string() != name) continue;
    const auto& st = b.at("stats");
    auto num = [&](const char* key) { return util::AsNumber(&st.at(key)).value(); };
    return FormatNumber(num("median_ns")) + " (" + FormatNumber(num("min_ns")) + "–" +
           FormatNumber(num("max_ns")) + ", cv " + FormatNumber(num("cv") * 100) + "%, n " +
           std::to_string(b.at("repetitions").as_array().size()) + ")";
  }
  ADD_FAILURE() << "no benchmark " << name;
  return "";
}

void EvaluateGatesInto(const std::string& run_dir) {
  const gates::RuleSet rules = ValueOf(gates::LoadRules(SourcePath("gates/gates.json")));
  const gates::RunFile run = ValueOf(gates::LoadRunFile(run_dir + "/baseline.json"));
  const gates::GateReport report = gates::EvaluateGates(rules, run, nullptr, {});
  ASSERT_TRUE(
      util::WriteFile(run_dir + "/gates.json", util::JsonFileText(gates::GateReportToJson(report)))
          .ok());
}

class RunReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CopyRuns(results_);
    run_dir_ = results_ / kSample;
    EvaluateGatesInto(run_dir_);
    ReportOptions opt;
    opt.gnuplot = "/nonexistent/gnuplot";  // plots are tested separately
    outcome_ = ValueOf(WriteRunReport(run_dir_, opt));
  }
  std::string Read(const std::string& name) { return ReadAll(run_dir_ + "/" + name); }

  TempDir results_;
  std::string run_dir_;
  ReportOutcome outcome_;
};

TEST_F(RunReportTest, WritesEveryReport) {
  for (const char* f : {"SUMMARY.md", "environment.md", "facade_tax.md", "ab_engines.md",
                        "redis_comparison.md", "plots/scaling.gp", "plots/scaling.dat",
                        "plots/latency_percentiles.gp", "plots/engines_ab.gp"}) {
    EXPECT_TRUE(fs::exists(run_dir_ + "/" + f)) << f;
  }
}

TEST_F(RunReportTest, SummaryKeyLatencyCellsEqualTheFixture) {
  const std::string md = Read("SUMMARY.md");
  // Median with min, max, cv and repetitions; p99 with its sample count.
  const std::string row =
      "| A1 engine/get_direct | inmemory | sharded | " +
      FormatNumber(FixtureMedian(kSample, "A1/engine/get_direct/sharded/inmemory")) + " | " +
      FormatNumber(235.2) + " | " + FormatNumber(244.8) + " | 1.58% | 5 | 480 | 10000 | stable |";
  EXPECT_NE(md.find(row), std::string::npos) << "expected row " << row << "\n" << md;
  EXPECT_NE(row.find("| 240 |"), std::string::npos) << "fixture: sharded get_direct = 0.8 x 300";
  EXPECT_NE(md.find("| op | mode | engine | median ns | min ns | max ns | cv | repetitions | "
                    "p99 ns | p99 samples | stability |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("## Unstable cells\n\n_(none)_"), std::string::npos) << md;
  // Gate verdict counts come from gates.json.
  const gates::VerdictFileSummary gv = ValueOf(gates::LoadVerdictFile(run_dir_ + "/gates.json"));
  EXPECT_NE(
      md.find("Rules: " + std::to_string(gv.rules_pass) + " pass, " +
              std::to_string(gv.rules_warn) + " warn, " + std::to_string(gv.rules_fail) + " fail"),
      std::string::npos)
      << md;
  EXPECT_NE(md.find("Not reference hardware"), std::string::npos);
  // Environment summary and warnings.
  EXPECT_NE(md.find("Intel(R) Xeon(R) CPU @ 2.20GHz"), std::string::npos);
  EXPECT_NE(md.find("- governor is not performance"), std::string::npos);
  EXPECT_NE(md.find("- running in a VM"), std::string::npos);
  EXPECT_NE(md.find("SVG plots skipped: gnuplot not found"), std::string::npos) << md;
}

TEST_F(RunReportTest, FacadeTaxCellsEqualTheFixture) {
  const std::string md = Read("facade_tax.md");
  const double a0 = FixtureMedian(kSample, "A0/raw/get_uniform/btree/n/a");
  const double a1 = FixtureMedian(kSample, "A1/engine/get_direct/btree/inmemory");
  const double b = FixtureMedian(kSample, "B/kv/get/btree/inmemory");
  const std::string row = "| get (A0 get_uniform) | btree | inmemory | " +
                          FixtureSpread(kSample, "A0/raw/get_uniform/btree/n/a") + " | " +
                          FixtureSpread(kSample, "A1/engine/get_direct/btree/inmemory") + " | " +
                          FixtureSpread(kSample, "B/kv/get/btree/inmemory") + " | " +
                          FormatNumber(a1 / a0) + "x | " + FormatNumber(b / a1) + "x | " +
                          FormatNumber(b / a0) + "x |";
  EXPECT_NE(md.find(row), std::string::npos) << "expected row " << row << "\n" << md;
  EXPECT_NE(row.find("| 3.33x |"), std::string::npos);
  // The harness's derived.facade_tax entry is cross-checked against the medians.
  EXPECT_NE(md.find("| agrees |"), std::string::npos) << md;
}

TEST_F(RunReportTest, AbEnginesCellsEqualTheFixture) {
  const std::string md = Read("ab_engines.md");
  const double bt = FixtureMedian(kSample, "B/kv/get/btree/inmemory");
  const double sh = FixtureMedian(kSample, "B/kv/get/sharded/inmemory");
  const std::string cells = "| kv/get | inmemory | 1 | — | " +
                            FixtureSpread(kSample, "B/kv/get/btree/inmemory") + " | " +
                            FixtureSpread(kSample, "B/kv/get/sharded/inmemory") + " | " +
                            FormatNumber(sh / bt) + "x | 0.0079 * |";
  EXPECT_NE(md.find(cells), std::string::npos) << "expected " << cells << "\n" << md;
  EXPECT_NE(cells.find("| 1000 (980–1020, cv 1.58%, n 5) |"), std::string::npos) << cells;
  // Scaling table: 4 threads at 3.4x the 1-thread throughput, with the throughput's spread.
  const auto scaling =
      md.find("| btree | inmemory | disjoint/put | — | 4 | 680000 (666667–693878, cv ");
  ASSERT_NE(scaling, std::string::npos) << md;
  EXPECT_NE(md.find(", n 5) | 3.40x | 0.85 |", scaling), std::string::npos) << md;
  EXPECT_EQ(md.find("## Unstable cells"), std::string::npos) << "no unstable cell in the fixture";
}

// A statelab row is set against the Redis row with the same client count; rows written before
// the suite had --clients (no "clients") are one client's.
TEST(RenderRedisTest, RowsMatchByClientCount) {
  harness::Baseline run;
  run.servers = boost::json::parse(R"({"available": true, "reason": "", "results": [
      {"server": "redis", "engine": "", "op": "set", "mode": "inmemory", "persistence": "p",
       "pipeline": 1, "ops_per_sec": 100, "p50_ns": 1, "p99_ns": 2},
      {"server": "redis", "engine": "", "op": "set", "mode": "inmemory", "persistence": "p",
       "clients": 50, "pipeline": 1, "ops_per_sec": 400, "p50_ns": 3, "p99_ns": 4},
      {"server": "statelab", "engine": "sharded", "op": "set", "mode": "inmemory",
       "persistence": "p", "clients": 50, "pipeline": 1, "ops_per_sec": 500, "p50_ns": 5,
       "p99_ns": 6},
      {"server": "statelab", "engine": "sharded", "op": "set", "mode": "inmemory",
       "persistence": "p", "clients": 1, "pipeline": 1, "ops_per_sec": 50, "p50_ns": 7,
       "p99_ns": 8}]})")
                    .as_object();
  const std::string md = RenderRedis(run, "");
  // clients, pipeline, engine, redis ops/s, ours, ratio, p50 redis / ours, p99 redis / ours.
  auto row = [](std::string_view clients, std::vector<double> v) {
    std::string out = "| set | inmemory | " + std::string(clients) + " | 1 | sharded | ";
    // Each cell ends in " | "; the row ends in " |" and a newline.
    for (size_t i = 0; i < v.size(); ++i) out += FormatNumber(v[i]) + (i == 2 ? "x | " : " | ");
    out.back() = '\n';
    return out;
  };
  EXPECT_NE(md.find(row("50", {400, 500, 1.25, 3, 5, 4, 6})), std::string::npos) << md;
  EXPECT_NE(md.find(row("1", {100, 50, 0.5, 1, 7, 2, 8})), std::string::npos) << md;
}

TEST_F(RunReportTest, RedisAndEnvironment) {
  const std::string redis = Read("redis_comparison.md");
  EXPECT_NE(redis.find("Source: baseline.json `servers`"), std::string::npos) << redis;
  EXPECT_NE(redis.find("| get | inmemory | 1 | 1 | appendonly no | 95000 | 9000 | 20000 | " +
                       FormatNumber(FixtureMedian(kSample, "B/kv/get/btree/inmemory"))),
            std::string::npos)
      << redis;
  // The pipeline 16 row has its own line; INCR/MSET-less fixtures still render.
  EXPECT_NE(redis.find("| get | inmemory | 1 | 16 | appendonly no | 800000 | 15000 | 30000 |"),
            std::string::npos)
      << redis;
  // statelab serve next to the Redis row of the same op, mode, clients and pipeline.
  EXPECT_NE(redis.find("| get | inmemory | 1 | 16 | btree | 800000 | 400000 | " + FormatNumber(0.5) +
                       "x | 15000 | 31000 | 30000 | 52000 |"),
            std::string::npos)
      << redis;
  EXPECT_NE(redis.find("| statelab | btree | 1000000 | 6000000 | 186000000 | " + FormatNumber(180) +
                       " | " + FormatNumber(180) + " |"),
            std::string::npos)
      << redis;
  EXPECT_NE(redis.find("| redis | — | 1000000 | 8000000 | 80000000 | " + FormatNumber(72) + " | " +
                       FormatNumber(64.5) + " |"),
            std::string::npos)
      << redis;
  const std::string env = Read("environment.md");
  EXPECT_NE(env.find("| `cpu.model` | Intel(R) Xeon(R) CPU @ 2.20GHz |"), std::string::npos);
  EXPECT_NE(env.find("| `turbo.intel_no_turbo` | unknown (null) |"), std::string::npos) << env;
  EXPECT_NE(env.find("| `config.cores` | 2 |"), std::string::npos) << env;
}

// An unstable cell is marked in every table that shows it, and each report says why.
TEST(RunReport, UnstableCellsAreMarkedWithTheReason) {
  harness::Baseline run =
      ValueOf(gates::LoadRunFile(Fixture(std::string("runs/") + kSample + "/baseline.json")))
          .baseline;
  for (auto& b : run.benchmarks) {
    if (b.name != "B/kv/get/sharded/inmemory") continue;
    b.repetitions.clear();
    for (double ns : {46086.0, 21134.0, 1781.0, 1772.0, 1845.0}) {
      b.repetitions.push_back({ns, 1e9 / ns, 1000});
    }
  }
  const std::string cell = "1845 (1772–46086, cv 134%, n 5) **unstable**";
  const std::string why = "bimodal: 3 values in 1772-1845, 2 in 21134-46086";
  const std::string ab = RenderAbEngines(run);
  EXPECT_NE(ab.find("| " + cell + " |"), std::string::npos) << ab;
  EXPECT_NE(ab.find("## Unstable cells"), std::string::npos) << ab;
  EXPECT_NE(ab.find("| `B/kv/get/sharded/inmemory` | 1845 | 46086, 21134, 1781, 1772, 1845 | "
                    "134% | 26.0x | cv 1.34 > 0.2; max/min 26 > 2; " +
                    why),
            std::string::npos)
      << ab;
  const std::string tax = RenderFacadeTax(run);
  EXPECT_NE(tax.find(cell), std::string::npos) << tax;
  EXPECT_NE(tax.find(why), std::string::npos) << tax;
  const std::string summary = RenderSummary(run, nullptr, "not evaluated", {});
  EXPECT_NE(summary.find("| B kv/get | inmemory | sharded | 1845 | 1772 | 46086 | 134% | 5 |"),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find("| **unstable**: cv 1.34 > 0.2; max/min 26 > 2; " + why),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find("## Unstable cells\n\nTheir repetitions"), std::string::npos) << summary;
}

// A cell measured at several sizes gets its per-item cost per size; superlinear growth is flagged
// in ab_engines.md and named in SUMMARY.md, linear growth is not.
TEST(RunReport, GrowthShowsPerItemCostAndFlagsSuperlinearCells) {
  harness::Baseline run =
      ValueOf(gates::LoadRunFile(Fixture(std::string("runs/") + kSample + "/baseline.json")))
          .baseline;
  const harness::BenchmarkResult model = run.benchmarks.front();
  auto add = [&](const std::string& engine, double n, double ns,
                 std::map<std::string, double> extra) {
    harness::BenchmarkResult b = model;
    b.tier = "recovery";
    b.group = "replay";
    b.op = "wal";
    b.engine = engine;
    b.mode = "buffered";
    b.threads = 1;
    b.params = {{"n", n}};
    b.extra = std::move(extra);
    b.repetitions = {{ns, 1e9 / ns, 1}, {ns, 1e9 / ns, 1}, {ns, 1e9 / ns, 1}};
    run.benchmarks.push_back(std::move(b));
  };
  add("sharded", 10000, 10e6, {});     // 1000 ns per record
  add("sharded", 1000000, 1.9e9, {});  // 1900 ns per record: 1.9x
  add("btree", 10000, 10e6, {});
  add("btree", 1000000, 1.1e9, {});  // 1.1x: within the bound
  add("lmdb", 1000, 1e6, {{"bytes_per_key", 100}});
  add("lmdb", 100000, 1e6, {{"bytes_per_key", 130}});  // memory: its own per-item figure, 1.3x

  const std::string ab = RenderAbEngines(run);
  EXPECT_NE(ab.find("| recovery/replay/wal | sharded | buffered | 1 | — | 1000000 | "),
            std::string::npos)
      << ab;
  EXPECT_NE(ab.find("| 1900 ns | 1.90x | **superlinear** |"), std::string::npos) << ab;
  EXPECT_NE(ab.find("| 1100 ns | 1.10x | — |"), std::string::npos) << ab;
  EXPECT_NE(ab.find("| 130 bytes_per_key | 1.30x | **superlinear** |"), std::string::npos) << ab;

  const std::string summary = RenderSummary(run, nullptr, "not evaluated", {});
  EXPECT_NE(summary.find("3 cells measured at several sizes"), std::string::npos) << summary;
  EXPECT_NE(summary.find("- recovery/replay/wal sharded buffered (1.90x)"), std::string::npos)
      << summary;
  EXPECT_NE(summary.find("- recovery/replay/wal lmdb buffered (1.30x)"), std::string::npos)
      << summary;
  EXPECT_EQ(summary.find("recovery/replay/wal btree"), std::string::npos) << summary;
}

TEST(RunReport, WithoutGatesOrRedisSaysSo) {
  TempDir results;
  CopyRuns(results);
  ReportOptions opt;
  opt.plots = false;
  ValueOf(WriteRunReport(results / kOlder, opt));
  const std::string summary = ReadAll(results / (std::string(kOlder) + "/SUMMARY.md"));
  EXPECT_NE(summary.find("Gates not evaluated: no gates.json"), std::string::npos) << summary;
  const std::string redis = ReadAll(results / (std::string(kOlder) + "/redis_comparison.md"));
  EXPECT_NE(redis.find("**Skipped.**"), std::string::npos) << redis;
  EXPECT_NE(redis.find("baseline.json has no `servers` section"), std::string::npos) << redis;
  // Facade tax without A0/A1 benchmarks shows dashes, not numbers.
  const std::string tax = ReadAll(results / (std::string(kOlder) + "/facade_tax.md"));
  EXPECT_NE(tax.find("| get (A0 get_hot) | btree | inmemory | — | — | 1100 ("), std::string::npos)
      << tax;
}

TEST(RunReport, PlotsWithGnuplotWhenAvailable) {
  const std::string gnuplot = FindOnPath("gnuplot");
  if (gnuplot.empty()) GTEST_SKIP() << "gnuplot not installed";
  TempDir results;
  CopyRuns(results);
  ValueOf(WriteRunReport(results / kSample, ReportOptions{}));
  for (const char* svg : {"scaling.svg", "latency_percentiles.svg", "engines_ab.svg"}) {
    const std::string path = results / (std::string(kSample) + "/plots/" + svg);
    ASSERT_TRUE(fs::exists(path)) << svg;
    EXPECT_NE(ReadAll(path).find("<svg"), std::string::npos) << svg;
  }
}

TEST(Index, NewestFirstWithGatesAndReference) {
  TempDir results;
  CopyRuns(results);
  EvaluateGatesInto(results / kSample);
  fs::create_directories(results / "run_2024-06-01_00-00-00_badbad0");
  fs::copy(Fixture("compare/malformed.json"),
           results / "run_2024-06-01_00-00-00_badbad0/baseline.json");
  fs::create_directories(results / "not_a_run");
  EXPECT_EQ(ValueOf(WriteIndex(results.path())), 3);
  const std::string md = ReadAll(results / "INDEX.md");
  const auto bad = md.find("run_2024-06-01_00-00-00_badbad0");
  const auto sample = md.find(kSample);
  const auto older = md.find(kOlder);
  ASSERT_NE(bad, std::string::npos);
  ASSERT_NE(sample, std::string::npos);
  ASSERT_NE(older, std::string::npos);
  EXPECT_LT(bad, sample);
  EXPECT_LT(sample, older) << "newest first";
  EXPECT_EQ(md.find("not_a_run"), std::string::npos);
  EXPECT_NE(md.find("unreadable baseline.json"), std::string::npos) << md;

  const gates::VerdictFileSummary gv =
      ValueOf(gates::LoadVerdictFile(results / (std::string(kSample) + "/gates.json")));
  // The engines column lists the engines the sample run recorded (config.engines).
  const harness::Baseline sample_run = ValueOf(
      harness::ReadBaselineFile(Fixture("runs/" + std::string(kSample) + "/baseline.json")));
  const std::string sample_row = "| 2024-05-01T12:00:00Z | [" + std::string(kSample) + "](" +
                                 kSample + "/SUMMARY.md) | abc1234 | sample | standard | " +
                                 util::Join(sample_run.config.engines, ", ") + " | " +
                                 std::to_string(gv.rules_pass) + " passed / " +
                                 std::to_string(gv.rules_fail) + " failed";
  EXPECT_NE(md.find(sample_row), std::string::npos) << "expected " << sample_row << "\n" << md;
  EXPECT_NE(md.find("| 2024-04-01T09:30:00Z | [" + std::string(kOlder) + "](" + kOlder +
                    "/SUMMARY.md) | 0ff1ce5 | — | quick | btree | not evaluated | yes |"),
            std::string::npos)
      << md;
  // Each machine's runs together, the unreadable one under none.
  const auto by_machine = md.find("## Runs by machine");
  ASSERT_NE(by_machine, std::string::npos) << md;
  EXPECT_EQ(md.find("badbad0", by_machine), std::string::npos) << md;
  EXPECT_NE(md.find(std::string(kSample) + "/SUMMARY.md)", by_machine), std::string::npos) << md;
}

TEST(ReportCli, RunDirIndexAndErrors) {
  TempDir results;
  CopyRuns(results);
  const std::string bin = Quoted(STATELAB_REPORT_BIN);
  auto r = RunCommand(bin + " " + Quoted(results / kSample) + " --no-plots --index " +
                      Quoted(results.path()));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(results / (std::string(kSample) + "/SUMMARY.md")));
  EXPECT_TRUE(fs::exists(results / "INDEX.md"));
  EXPECT_NE(r.output.find("INDEX.md lists 2 runs"), std::string::npos) << r.output;

  r = RunCommand(bin + " " + Quoted(results / "run_missing"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.output.find("run_missing/baseline.json: cannot open"), std::string::npos) << r.output;
  r = RunCommand(bin + " --bogus");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown flag '--bogus'"), std::string::npos);
  r = RunCommand(bin);
  EXPECT_EQ(r.exit_code, 2);
  r = RunCommand(bin + " --index /nonexistent/results");
  EXPECT_EQ(r.exit_code, 3);
  r = RunCommand(bin + " --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("usage: statelab-report"), std::string::npos);
}

// The bench runner hands the server figures over as a file; they land in baseline.json, the
// report renders them, and a malformed file changes nothing.
TEST(ReportCli, AttachServersStoresThemInBaselineJson) {
  TempDir results;
  CopyRuns(results);
  const std::string bin = Quoted(STATELAB_REPORT_BIN);
  const fs::path older = results / kOlder;
  const std::string before = ReadAll(older / "baseline.json");
  const fs::path bad = results / "bad_servers.json";
  ASSERT_TRUE(util::WriteFile(bad, R"({"available": true, "reason": "", "results": [
      {"server": "redis", "engine": "", "op": "get", "mode": "inmemory",
       "persistence": "appendonly no", "pipeline": "one", "ops_per_sec": 1, "p50_ns": 1,
       "p99_ns": 1}]})")
                  .ok());
  auto r = RunCommand(bin + " " + Quoted(older) + " --no-plots --attach-servers " + Quoted(bad));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("servers.results[0].pipeline: expected integer, got string"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(ReadAll(older / "baseline.json"), before);

  // The sample run's own servers section, attached to the older run.
  const boost::json::value sample =
      ValueOf(util::LoadJsonFile(Fixture(std::string("runs/") + kSample + "/baseline.json")));
  const fs::path good = results / "servers.json";
  ASSERT_TRUE(util::WriteFile(good, boost::json::serialize(sample.at("servers"))).ok());
  r = RunCommand(bin + " " + Quoted(older) + " --no-plots --attach-servers " + Quoted(good));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const gates::RunFile run = ValueOf(gates::LoadRunFile(older / "baseline.json"));
  // Equal up to number kinds (an integral double such as 72.0 is written as 72).
  const boost::json::object& got = run.baseline.servers;
  ASSERT_EQ(got.size(), sample.at("servers").as_object().size());
  EXPECT_EQ(got.at("results").as_array().size(), 5u);
  EXPECT_EQ(util::AsNumber(&got.at("memory").at(0).at("rss_bytes_per_key")), 72.0);
  EXPECT_EQ(run.baseline.benchmarks.size(), 2u);  // everything else kept
  const std::string redis = ReadAll(older / "redis_comparison.md");
  EXPECT_NE(redis.find("| get | inmemory | 1 | 16 | appendonly no | 800000 | 15000 | 30000 |"),
            std::string::npos)
      << redis;

  r = RunCommand(bin + " --attach-servers " + Quoted(good));
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

}  // namespace
}  // namespace statelab::reports
