// Gates that cannot pass by measuring nothing (issue 17): CI mode (expected cells, an empty run,
// a rule that checked nothing), the Strict sync and device-floor rules, percentiles published
// only from enough samples, and the warn band every rule must have.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gates/gate_eval.h"
#include "gates/metrics.h"
#include "gates/rules.h"
#include "harness/histogram.h"
#include "tests/gates/report_lookup.h"
#include "tests/gates/test_util.h"
#include "util/json.h"

namespace statelab::gates {
namespace {

using harness::BenchmarkResult;
using statelab::testing_util::Fixture;
using statelab::testing_util::SourcePath;
using statelab::testing_util::TempDir;
using statelab::testing_util::ValueOf;

const RuleSet& AllRules() {
  static const RuleSet* rules = new RuleSet(ValueOf(LoadRules(SourcePath("gates/gates.json"))));
  return *rules;
}

// The named rules of gates/gates.json alone.
RuleSet Only(const std::vector<std::string>& ids) {
  RuleSet rs;
  rs.path = AllRules().path;
  rs.schema_version = AllRules().schema_version;
  for (const auto& id : ids) {
    const Rule* r = AllRules().Find(id);
    EXPECT_NE(r, nullptr) << id;
    if (r != nullptr) rs.rules.push_back(*r);
  }
  return rs;
}

RunFile Load(const std::string& rel) { return ValueOf(LoadRunFile(Fixture(rel))); }

// A benchmark as the bench writes it: three repetitions of `ns` per op, a latency histogram of
// `samples` samples around `ns`.
BenchmarkResult Bench(const std::string& tier, const std::string& group, const std::string& op,
                      const std::string& engine, const std::string& mode, double ns,
                      int64_t samples = 100'000, int64_t threads = 1) {
  BenchmarkResult b;
  b.tier = tier;
  b.group = group;
  b.op = op;
  b.engine = engine;
  b.mode = mode;
  b.threads = threads;
  b.name = tier + "/" + group + "/" + op + "/" + engine + "/" + mode;
  if (engine == "device" || engine == "null") b.kind = harness::kKindHarness;
  for (double f : {1.0, 0.99, 1.01}) {
    b.repetitions.push_back({ns * f, 1e9 * static_cast<double>(threads) / (ns * f), 1000});
  }
  b.stats = harness::ComputeStats(b.repetitions).value();
  harness::Histogram h;
  for (int64_t i = 0; i < samples; ++i) h.Record(static_cast<int64_t>(ns) + i % 7);
  b.latency = harness::LatencyFromHistogram(h, 20);
  b.allocs_per_op = 0.0;
  return b;
}

GateOptions Ci() {
  GateOptions o;
  o.ci = true;
  return o;
}

std::string Dump(const GateReport& r) {
  std::string out;
  for (const auto& v : r.verdicts) {
    out += "  " + v.id + " " + std::string(VerdictStatusName(v.status)) + " " + v.subject + ": " +
           v.reason + "\n";
  }
  return out;
}

// An instruction run (statelab-bench --metric instructions) of one cell counting `instructions`.
RunFile InstructionRun(double instructions) {
  RunFile r;
  r.path = "instructions.json";
  r.baseline.run_id = "run_x";
  r.baseline.config.suite = "quick";
  r.baseline.config.engines = {"btree"};
  r.baseline.config.cores = 2;
  r.baseline.environment["harness"] =
      boost::json::object{{"metric", "instructions"}, {"instructions_source", "callgrind"}};
  BenchmarkResult b = Bench("A1", "engine", "get_direct", "btree", "inmemory", 1000);
  b.counters.instructions_per_op = instructions;
  r.baseline.benchmarks.push_back(b);
  return r;
}

TEST(GateCi, InstructionRegressionIsJudgedOnTheCountAlone) {
  const RuleSet rules = Only({"regression.instructions_per_op"});
  const RunFile before = InstructionRun(1000);
  struct Case {
    double now;
    VerdictStatus want;
  };
  for (const Case c : {Case{1004, VerdictStatus::kPass}, Case{1020, VerdictStatus::kWarn},
                       Case{1040, VerdictStatus::kFail}, Case{900, VerdictStatus::kPass}}) {
    const GateReport r = EvaluateGates(rules, InstructionRun(c.now), &before, Ci());
    const auto v = VerdictsOf(r, "regression.instructions_per_op");
    ASSERT_EQ(v.size(), 1u) << Dump(r);
    EXPECT_EQ(v[0]->status, c.want) << c.now << ": " << v[0]->reason;
    EXPECT_NE(v[0]->reason.find("deterministic count"), std::string::npos) << v[0]->reason;
  }
}

TEST(GateCi, RulesApplyOnlyToRunsOfTheirMetric) {
  // Every time rule is skipped on an instruction run (its timings were taken under valgrind) and
  // none is demanded, so a CI gate of an instruction run checks the counts and nothing else.
  const RunFile before = InstructionRun(1000);
  const GateReport counted = EvaluateGates(AllRules(), InstructionRun(1000), &before, Ci());
  EXPECT_EQ(counted.ExitCode(), util::kExitOk) << Dump(counted);
  EXPECT_EQ(OutcomeOf(counted, "regression.instructions_per_op")->status, VerdictStatus::kPass);
  const RuleOutcome* kv = OutcomeOf(counted, "latency.kv_get.inmemory");
  ASSERT_NE(kv, nullptr);
  EXPECT_FALSE(kv->demanded);
  EXPECT_EQ(kv->status, VerdictStatus::kSkip);
  EXPECT_NE(VerdictsOf(counted, "latency.kv_get.inmemory")[0]->reason.find("--metric time"),
            std::string::npos);

  // And the instruction rule is skipped on a time run, not failed as checking nothing.
  RunFile timed = Load("gates/snapshot.acquire.pass.json");
  const GateReport t = EvaluateGates(Only({"regression.instructions_per_op", "snapshot.acquire"}),
                                     timed, &timed, Ci());
  EXPECT_EQ(t.ExitCode(), util::kExitOk) << Dump(t);
  EXPECT_EQ(OutcomeOf(t, "regression.instructions_per_op")->status, VerdictStatus::kSkip);
}

TEST(GateCi, EmptyBaselineFailsInCiMode) {
  const RunFile run = Load("gates/empty_run.json");
  ASSERT_TRUE(run.baseline.benchmarks.empty());
  const GateReport ci = EvaluateGates(AllRules(), run, nullptr, Ci());
  EXPECT_EQ(ci.ExitCode(), util::kExitFailed) << Dump(ci);
  const auto measured = VerdictsOf(ci, "run.measured");
  ASSERT_EQ(measured.size(), 1u);
  EXPECT_EQ(measured[0]->status, VerdictStatus::kFail);
  EXPECT_NE(measured[0]->reason.find("benchmarks: []"), std::string::npos);
  // The quick rules' expected cells are named as missing, too.
  const auto kv = VerdictsOf(ci, "latency.kv_get.inmemory");
  ASSERT_EQ(kv.size(), 1u);
  EXPECT_EQ(kv[0]->status, VerdictStatus::kFail);
  EXPECT_NE(kv[0]->reason.find("missing expected cell btree/inmemory: tier=B group=kv op=get"),
            std::string::npos)
      << kv[0]->reason;

  const GateReport local = EvaluateGates(AllRules(), run, nullptr, {});
  EXPECT_EQ(local.ExitCode(), util::kExitOk);
  ASSERT_EQ(VerdictsOf(local, "run.measured").size(), 1u);
  EXPECT_EQ(VerdictsOf(local, "run.measured")[0]->status, VerdictStatus::kWarn);
}

TEST(GateCi, MissingExpectedCellFailsInCiModeAndSkipsOtherwise) {
  RunFile run = Load("gates/snapshot.acquire.pass.json");  // one A1 cell: btree, inmemory
  const RuleSet rules = Only({"snapshot.acquire", "latency.kv_get.inmemory"});
  const std::string cell = "btree/inmemory: tier=B group=kv op=get threads=1";

  const GateReport ci = EvaluateGates(rules, run, nullptr, Ci());
  EXPECT_EQ(ci.ExitCode(), util::kExitFailed);
  const RuleOutcome* kv = OutcomeOf(ci, "latency.kv_get.inmemory");
  ASSERT_NE(kv, nullptr);
  EXPECT_TRUE(kv->demanded);
  EXPECT_EQ(kv->status, VerdictStatus::kFail);
  EXPECT_EQ(kv->expected_cells, std::vector<std::string>{cell});
  EXPECT_EQ(kv->missing_cells, std::vector<std::string>{cell});
  const auto v = VerdictsOf(ci, "latency.kv_get.inmemory");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_TRUE(v[0]->missing);
  EXPECT_NE(v[0]->reason.find("missing expected cell " + cell), std::string::npos) << v[0]->reason;
  EXPECT_EQ(OutcomeOf(ci, "snapshot.acquire")->status, VerdictStatus::kPass);

  const GateReport local = EvaluateGates(rules, run, nullptr, {});
  EXPECT_EQ(local.ExitCode(), util::kExitOk);
  const auto s = VerdictsOf(local, "latency.kv_get.inmemory");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0]->status, VerdictStatus::kSkip);
  EXPECT_NE(s[0]->reason.find("missing: benchmark absent"), std::string::npos) << s[0]->reason;
  EXPECT_EQ(OutcomeOf(local, "latency.kv_get.inmemory")->missing_cells,
            std::vector<std::string>{cell});

  // The verdict file and gates.md name the missing cell.
  const std::string json = util::JsonFileText(GateReportToJson(ci));
  EXPECT_NE(json.find("\"missing_cells\""), std::string::npos);
  EXPECT_NE(json.find(cell), std::string::npos);
  const std::string md = GateReportToMarkdown(ci);
  EXPECT_NE(md.find("## Missing expected cells"), std::string::npos) << md;
  EXPECT_NE(md.find("CI mode: yes"), std::string::npos);
}

TEST(GateCi, MissingCellOfAReferenceOnlyRuleIsNotAdvisory) {
  RunFile run = Load("gates/non_reference_slow.json");
  const GateReport ci = EvaluateGates(Only({"latency.kv_get.inmemory"}), run, nullptr, Ci());
  const auto v = VerdictsOf(ci, "latency.kv_get.inmemory");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0]->status, VerdictStatus::kFail) << v[0]->reason;
  EXPECT_FALSE(v[0]->advisory);
}

TEST(GateCi, RulesOfALargerSuiteAreNotDemanded) {
  RunFile run = Load("gates/snapshot.acquire.pass.json");
  const RuleSet rules = Only({"recovery.wal_replay_1m"});
  ASSERT_EQ(rules.rules[0].suite, "standard");
  run.baseline.config.suite = "quick";
  const GateReport quick = EvaluateGates(rules, run, nullptr, Ci());
  EXPECT_EQ(quick.ExitCode(), util::kExitOk) << Dump(quick);
  EXPECT_FALSE(OutcomeOf(quick, "recovery.wal_replay_1m")->demanded);
  EXPECT_EQ(OutcomeOf(quick, "recovery.wal_replay_1m")->status, VerdictStatus::kSkip);

  run.baseline.config.suite = "standard";
  const GateReport standard = EvaluateGates(rules, run, nullptr, Ci());
  EXPECT_EQ(standard.ExitCode(), util::kExitFailed) << Dump(standard);

  // A custom selection (--filter) is held to the quick suite's rules.
  run.baseline.config.suite = "custom";
  EXPECT_EQ(EvaluateGates(rules, run, nullptr, Ci()).ExitCode(), util::kExitOk);
  EXPECT_EQ(EvaluateGates(Only({"latency.kv_get.inmemory"}), run, nullptr, Ci()).ExitCode(),
            util::kExitFailed);
}

TEST(GateCi, CellsTheBenchSkippedOnPurposeAreNotMissing) {
  RunFile run = Load("gates/snapshot.acquire.pass.json");
  const RuleSet rules = Only({"latency.kv_get.inmemory"});
  GateOptions opt = Ci();
  SkippedCell planned;
  planned.cell = Bench("B", "kv", "get", "btree", "inmemory", 1);
  planned.cell.params = {{"n", 100000.0}};
  planned.reason = "engine btree cannot open in this mode";
  opt.skipped = {planned};
  GateReport r = EvaluateGates(rules, run, nullptr, opt);
  EXPECT_EQ(r.ExitCode(), util::kExitOk) << Dump(r);
  ASSERT_EQ(VerdictsOf(r, "latency.kv_get.inmemory").size(), 1u);
  EXPECT_NE(VerdictsOf(r, "latency.kv_get.inmemory")[0]->reason.find("cannot open"),
            std::string::npos);

  // A cell that failed while running is missing, and the failure is quoted.
  opt.skipped[0].failed = true;
  opt.skipped[0].reason = "Corruption: checksum mismatch";
  r = EvaluateGates(rules, run, nullptr, opt);
  EXPECT_EQ(r.ExitCode(), util::kExitFailed);
  EXPECT_NE(VerdictsOf(r, "latency.kv_get.inmemory")[0]->reason.find("checksum mismatch"),
            std::string::npos);
}

TEST(GateCi, LoadsSkippedCellsFromTheBaseline) {
  TempDir tmp;
  const std::string path = tmp / "baseline.json";
  ASSERT_TRUE(util::WriteFile(path, R"({"skipped": [
      {"name": "A0/raw/get_uniform/shared_nothing/n/a/n=100000", "tier": "A0", "group": "raw",
       "op": "get_uniform", "engine": "shared_nothing", "kind": "engine", "mode": "n/a",
       "threads": 1, "params": {"n": 100000}, "reason": "no raw structure", "failed": false}]})")
                  .ok());
  const std::vector<SkippedCell> cells = ValueOf(LoadSkippedCells(path));
  ASSERT_EQ(cells.size(), 1u);
  EXPECT_EQ(cells[0].cell.engine, "shared_nothing");
  EXPECT_EQ(cells[0].cell.params.at("n"), harness::ParamValue(100000.0));
  EXPECT_FALSE(cells[0].failed);

  ASSERT_TRUE(util::WriteFile(path, R"({"skipped": [{"name": 3}]})").ok());
  const Result<std::vector<SkippedCell>> bad = LoadSkippedCells(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("skipped[0].name"), std::string::npos)
      << bad.error().message();
}

// Issue 17: a Strict put edited to 50 ns with 0 syncs per commit passed every rule.
TEST(GateStrict, StrictPutWithoutSyncsFails) {
  RunFile run = Load("gates/empty_run.json");
  run.baseline.config.modes = {"strict"};
  BenchmarkResult put = Bench("durability", "commit", "put", "btree", "strict", 50);
  put.extra = {{"syncs_per_commit", 0.0}, {"engine_wal_syncs", 0.0}};
  BenchmarkResult kv = Bench("B", "kv", "put", "btree", "strict", 50);
  kv.extra = {{"syncs_per_commit", 0.0}};
  run.baseline.benchmarks = {
      put, kv, Bench("durability", "device", "fdatasync_4k", "device", "n/a", 2e6, 1000)};
  const GateReport r = EvaluateGates(AllRules(), run, nullptr, {});
  EXPECT_EQ(r.ExitCode(), util::kExitFailed);
  for (const std::string id :
       {"durability.strict_syncs_per_commit_group", "durability.strict_commit_vs_device_floor"}) {
    const RuleOutcome* o = OutcomeOf(r, id);
    ASSERT_NE(o, nullptr) << id;
    EXPECT_EQ(o->status, VerdictStatus::kFail) << id << "\n" << Dump(r);
    EXPECT_EQ(o->fail, 2) << id << ": both Strict write cells fail\n" << Dump(r);
  }

  // The same cells with one sync per commit at the device's pace pass both rules.
  for (auto& b : run.baseline.benchmarks) {
    if (b.mode != "strict") continue;
    b = Bench(b.tier, b.group, b.op, b.engine, b.mode, 2.2e6, 1000);
    b.extra = {{"syncs_per_commit", 1.0}};
  }
  const GateReport ok = EvaluateGates(Only({"durability.strict_syncs_per_commit_group",
                                            "durability.strict_commit_vs_device_floor"}),
                                      run, nullptr, Ci());
  EXPECT_EQ(ok.ExitCode(), util::kExitOk) << Dump(ok);
  EXPECT_EQ(ok.Count(VerdictStatus::kPass), 4) << Dump(ok);
}

TEST(GateStrict, GroupCommitMayShareASyncAmongItsThreads) {
  BenchmarkResult g = Bench("durability", "group_commit", "put", "btree", "strict", 1e6, 1000, 4);
  g.extra = {{"syncs_per_commit", 0.3}};  // groups of about 3.3 commits, 4 writers
  EXPECT_DOUBLE_EQ(*MetricValue(g, std::string(kSyncsPerCommitGroup)), 1.2);
  g.extra = {{"syncs_per_commit", 0.2}};  // groups of 5 commits cannot come from 4 writers
  EXPECT_DOUBLE_EQ(*MetricValue(g, std::string(kSyncsPerCommitGroup)), 0.8);
  RunFile run = Load("gates/empty_run.json");
  run.baseline.config.modes = {"strict"};
  run.baseline.benchmarks = {g};
  const GateReport r =
      EvaluateGates(Only({"durability.strict_syncs_per_commit_group"}), run, nullptr, {});
  EXPECT_EQ(OutcomeOf(r, "durability.strict_syncs_per_commit_group")->status, VerdictStatus::kFail)
      << Dump(r);
}

TEST(GatePercentiles, P999FromFiveSamplesIsNull) {
  harness::Histogram h;
  for (int i = 1; i <= 5; ++i) h.Record(i * 1'000'000);
  const std::optional<harness::Latency> l = harness::LatencyFromHistogram(h, 20);
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->samples, 5);
  EXPECT_FALSE(l->p999_ns.has_value());
  EXPECT_FALSE(l->p99_ns.has_value());
  EXPECT_FALSE(l->p50_ns.has_value()) << "the median needs 20 samples (10 at or above it)";
  EXPECT_EQ(l->max_ns, 5'000'000) << "the exact maximum is still published";
  ASSERT_TRUE(l->percentile_notes.contains("p999_ns"));
  EXPECT_EQ(l->percentile_notes.at("p999_ns"),
            "5 samples; p99.9 needs >= 10000 (10 at or beyond it)");

  // A gate reading it skips with the reason, and in CI mode a demanded rule whose every cell
  // lacks the percentile fails: it checked nothing.
  RunFile run = Load("gates/empty_run.json");
  BenchmarkResult b = Bench("A1", "engine", "get_direct", "btree", "inmemory", 300, 5);
  run.baseline.benchmarks = {b};
  const RuleSet rules = Only({"latency.p99.inmemory"});
  const GateReport local = EvaluateGates(rules, run, nullptr, {});
  const auto v = VerdictsOf(local, "latency.p99.inmemory");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0]->status, VerdictStatus::kSkip);
  EXPECT_NE(v[0]->reason.find("p99 needs >= 1000"), std::string::npos) << v[0]->reason;
  const GateReport ci = EvaluateGates(rules, run, nullptr, Ci());
  EXPECT_EQ(ci.ExitCode(), util::kExitFailed) << Dump(ci);
  EXPECT_NE(Dump(ci).find("checked nothing"), std::string::npos) << Dump(ci);
}

TEST(GatePercentiles, OldFilesWithATailFromFewSamplesReadAsNull) {
  BenchmarkResult b = Bench("B", "kv", "get", "btree", "inmemory", 500, 100'000);
  b.latency->samples = 5;  // as a file written before percentiles could be null
  EXPECT_TRUE(b.latency->p999_ns.has_value());
  EXPECT_FALSE(MetricValue(b, "p999_ns").has_value());
  EXPECT_FALSE(MetricValue(b, "latency.p99_ns").has_value());
  EXPECT_NE(MetricNullReason(b, "p999_ns").find("5 samples"), std::string::npos);
  b.latency->samples = 10'000;
  EXPECT_TRUE(MetricValue(b, "p999_ns").has_value());
  EXPECT_EQ(MetricNullReason(b, "p999_ns"), "");
}

TEST(GateWarnBand, BetweenTargetAndRedFlagWarns) {
  const Rule* tail = AllRules().Find("tail.p99_over_mean");
  ASSERT_NE(tail, nullptr);
  EXPECT_LT(tail->thresholds.target, tail->thresholds.red_flag);
  RunFile run = Load("gates/empty_run.json");
  BenchmarkResult b = Bench("B", "kv", "put", "btree", "inmemory", 2000);
  b.latency->p99_ns = 15 * b.stats.mean_ns;  // 15x: past the 10x target, within the 20x red flag
  run.baseline.benchmarks = {b};
  GateReport r = EvaluateGates(Only({"tail.p99_over_mean"}), run, nullptr, {});
  auto v = VerdictsOf(r, "tail.p99_over_mean");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0]->status, VerdictStatus::kWarn) << v[0]->reason;
  EXPECT_EQ(r.ExitCode(), util::kExitOk);
  run.baseline.benchmarks[0].latency->p99_ns = 25 * b.stats.mean_ns;
  r = EvaluateGates(Only({"tail.p99_over_mean"}), run, nullptr, {});
  EXPECT_EQ(VerdictsOf(r, "tail.p99_over_mean")[0]->status, VerdictStatus::kFail);
}

// A peer as a ratio's denominator (issue 20: our keyword search against SQLite FTS5 at 10k
// documents): judged when the run selected the peer; a run without the peers skips the rule, in
// CI mode too, since peers run only with --engines all.
TEST(GatePeers, KeywordSearchAgainstFts5) {
  const std::string id = "search.keyword_over_fts5";
  const RuleSet rules = Only({id});
  auto cell = [](const std::string& engine, double ns) {
    BenchmarkResult b = Bench("C", "search", "keyword", engine, "inmemory", ns);
    b.params = {{"limit", 10.0}, {"n", 10000.0}};
    if (engine == "sqlite_fts5") b.kind = harness::kKindPeer;
    return b;
  };
  RunFile run = Load("gates/empty_run.json");
  run.baseline.config.suite = "standard";
  run.baseline.config.engines = {"btree", "sqlite_fts5"};
  run.baseline.benchmarks = {cell("btree", 40000), cell("sqlite_fts5", 50000)};
  auto status = [&](const GateReport& r) {
    const auto v = VerdictsOf(r, id);
    EXPECT_EQ(v.size(), 1u) << Dump(r);
    return v.empty() ? VerdictStatus::kSkip : v[0]->status;
  };
  EXPECT_EQ(status(EvaluateGates(rules, run, nullptr, Ci())), VerdictStatus::kPass);
  run.baseline.benchmarks[0] = cell("btree", 60000);  // 1.2x FTS5: past the target
  EXPECT_EQ(status(EvaluateGates(rules, run, nullptr, Ci())), VerdictStatus::kWarn);
  run.baseline.benchmarks[0] = cell("btree", 100000);  // 2x: past the red flag
  EXPECT_EQ(status(EvaluateGates(rules, run, nullptr, Ci())), VerdictStatus::kFail);

  run.baseline.config.engines = {"btree"};
  run.baseline.benchmarks.pop_back();
  const GateReport r = EvaluateGates(rules, run, nullptr, Ci());
  EXPECT_EQ(status(r), VerdictStatus::kSkip);
  EXPECT_EQ(r.ExitCode(), util::kExitOk) << Dump(r);
  EXPECT_NE(VerdictsOf(r, id)[0]->reason.find("sqlite_fts5 not selected"), std::string::npos);
}

TEST(GateWarnBand, EveryRuleHasOne) {
  for (const Rule& r : AllRules().rules) {
    const Thresholds& t = r.thresholds;
    if (r.direction == Direction::kMax) {
      EXPECT_LT(t.target, t.red_flag) << r.id;
    } else {
      EXPECT_GT(t.target, t.red_flag) << r.id;
    }
  }
}

}  // namespace
}  // namespace statelab::gates
