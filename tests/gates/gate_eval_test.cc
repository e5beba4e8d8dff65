// Gate evaluation beyond pass/fail: skip reasons, advisory (reference-only) verdicts, regression
// significance and cross-machine handling, margins, and the verdict file round trip.

#include "gates/gate_eval.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/gates/report_lookup.h"
#include "tests/gates/test_util.h"
#include "util/json.h"

namespace statelab::gates {
namespace {

using statelab::testing_util::Fixture;
using statelab::testing_util::SourcePath;
using statelab::testing_util::TempDir;
using statelab::testing_util::ValueOf;

RuleSet AllRules() { return ValueOf(LoadRules(SourcePath("gates/gates.json"))); }

RunFile Load(const std::string& rel) { return ValueOf(LoadRunFile(Fixture(rel))); }

TEST(GateEval, AbsentBenchmarksAreSkippedWithReason) {
  const GateReport r = EvaluateGates(AllRules(), Load("gates/empty_run.json"), nullptr, {});
  EXPECT_EQ(r.Count(VerdictStatus::kPass) + r.Count(VerdictStatus::kFail), 0);
  // Outside CI mode the only non-skip is the warning that nothing was measured.
  EXPECT_EQ(r.Count(VerdictStatus::kWarn), 1);
  EXPECT_EQ(VerdictsOf(r, "run.measured").size(), 1u);
  EXPECT_EQ(r.ExitCode(), util::kExitOk);
  const auto kv = VerdictsOf(r, "latency.kv_get.inmemory");
  ASSERT_EQ(kv.size(), 1u);
  EXPECT_EQ(kv[0]->status, VerdictStatus::kSkip);
  EXPECT_NE(kv[0]->reason.find("benchmark absent"), std::string::npos) << kv[0]->reason;
  EXPECT_NE(kv[0]->reason.find("engine=btree mode=inmemory"), std::string::npos);
  EXPECT_NE(kv[0]->reason.find("tier=B group=kv op=get"), std::string::npos) << kv[0]->reason;
  const auto reg = VerdictsOf(r, "regression.latency_2x");
  ASSERT_EQ(reg.size(), 1u);
  EXPECT_NE(reg[0]->reason.find("no previous baseline"), std::string::npos);
  // A mode that did not run is named as such.
  const auto buffered = VerdictsOf(r, "latency.kv_put.buffered");
  ASSERT_EQ(buffered.size(), 1u);
  EXPECT_NE(buffered[0]->reason.find("not run"), std::string::npos) << buffered[0]->reason;
}

TEST(GateEval, TailRatioSkipsOperationsFasterThanTheTimer) {
  RunFile run = Load("gates/tail.p99_over_mean.fail.json");
  ASSERT_FALSE(run.baseline.benchmarks.empty());
  auto& b = run.baseline.benchmarks[0];
  ASSERT_TRUE(b.latency.has_value());
  b.latency->timer_overhead_ns = 20;
  b.stats.mean_ns = 30;  // below 2x the timer overhead: percentiles measure the timer
  const GateReport r = EvaluateGates(AllRules(), run, nullptr, {});
  const auto vs = VerdictsOf(r, "tail.p99_over_mean");
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_EQ(vs[0]->status, VerdictStatus::kSkip);
  EXPECT_NE(vs[0]->reason.find("below 2.00x the timer overhead (20.0 ns)"), std::string::npos)
      << vs[0]->reason;
  b.stats.mean_ns = 41;  // just above: judged again (and the fixture's p99 fails it)
  const GateReport judged = EvaluateGates(AllRules(), run, nullptr, {});
  EXPECT_EQ(VerdictsOf(judged, "tail.p99_over_mean")[0]->status, VerdictStatus::kFail);
}

TEST(GateEval, TooFewCoresSkips) {
  const GateReport r = EvaluateGates(AllRules(), Load("gates/few_cores.json"), nullptr, {});
  EXPECT_EQ(r.usable_cores, 2);
  for (const char* id :
       {"scaling.disjoint_4t", "scaling.disjoint_8t", "throughput.disjoint_4t.inmemory"}) {
    const auto vs = VerdictsOf(r, id);
    ASSERT_EQ(vs.size(), 1u) << id;
    EXPECT_EQ(vs[0]->status, VerdictStatus::kSkip) << id;
    EXPECT_NE(vs[0]->reason.find("too few cores: this run had 2 usable cores"), std::string::npos)
        << vs[0]->reason;
  }
  EXPECT_NE(VerdictsOf(r, "scaling.disjoint_8t")[0]->reason.find("needs 8"), std::string::npos);
}

TEST(GateEval, ReferenceOnlyRulesWarnOnOtherHardware) {
  const GateReport r =
      EvaluateGates(AllRules(), Load("gates/non_reference_slow.json"), nullptr, {});
  EXPECT_FALSE(r.reference_match);
  // 12 us put_direct is beyond the 10 us red flag, but the rule is reference-only: advisory.
  const auto put = VerdictsOf(r, "latency.a1_put_direct.inmemory");
  ASSERT_EQ(put.size(), 1u);
  EXPECT_EQ(put[0]->status, VerdictStatus::kWarn);
  EXPECT_TRUE(put[0]->advisory);
  EXPECT_NE(put[0]->reason.find("advisory (not reference hardware"), std::string::npos)
      << put[0]->reason;
  EXPECT_NE(put[0]->reason.find("would fail"), std::string::npos);
  EXPECT_NE(put[0]->reason.find("7800X3D"), std::string::npos) << "the mismatch reason is shown";
  // Snapshot acquisition is not reference-only: its red flag fails anywhere.
  const auto snap = VerdictsOf(r, "snapshot.acquire");
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_EQ(snap[0]->status, VerdictStatus::kFail);
  EXPECT_FALSE(snap[0]->advisory);
  EXPECT_EQ(r.ExitCode(), util::kExitFailed);
  // The markdown says the reference-only rules are advisory here.
  const std::string md = GateReportToMarkdown(r);
  EXPECT_NE(md.find("Reference hardware: no"), std::string::npos);
  EXPECT_NE(md.find("advisory"), std::string::npos);
}

TEST(GateEval, SameNumbersFailOnReferenceHardware) {
  RunFile run = Load("gates/non_reference_slow.json");
  run.baseline.environment["reference_platform"] =
      boost::json::object{{"match", true}, {"reasons", boost::json::array()}};
  const GateReport r = EvaluateGates(AllRules(), run, nullptr, {});
  const auto put = VerdictsOf(r, "latency.a1_put_direct.inmemory");
  ASSERT_EQ(put.size(), 1u);
  EXPECT_EQ(put[0]->status, VerdictStatus::kFail);
  EXPECT_FALSE(put[0]->advisory);
}

TEST(GateEval, MarginIsRelativeToTheDecidingThreshold) {
  const GateReport r =
      EvaluateGates(AllRules(), Load("gates/latency.kv_get.inmemory.pass.json"), nullptr, {});
  const auto v = VerdictsOf(r, "latency.kv_get.inmemory");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0]->status, VerdictStatus::kPass);
  EXPECT_DOUBLE_EQ(*v[0]->actual, 800);
  EXPECT_EQ(v[0]->threshold_name, "target");
  EXPECT_DOUBLE_EQ(*v[0]->threshold, 1000);
  EXPECT_DOUBLE_EQ(*v[0]->margin, 200);
  EXPECT_DOUBLE_EQ(*v[0]->margin_pct, 20);
}

TEST(GateEval, MissingTargetButWithinRedFlagWarns) {
  RunFile run = Load("gates/latency.kv_get.inmemory.pass.json");
  for (auto& rep : run.baseline.benchmarks[0].repetitions) rep.ns_per_op = 3000;  // > 1 us, < 5 us
  const GateReport r = EvaluateGates(AllRules(), run, nullptr, {});
  const auto v = VerdictsOf(r, "latency.kv_get.inmemory");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0]->status, VerdictStatus::kWarn);
  EXPECT_NE(v[0]->reason.find("within acceptable"), std::string::npos) << v[0]->reason;
  EXPECT_EQ(r.ExitCode(), util::kExitOk) << "a warning is not a failure";
}

TEST(GateEval, RatioRuleSkipsWithoutDenominator) {
  RunFile run = Load("gates/facade.a1_over_a0.get.pass.json");
  auto& benchmarks = run.baseline.benchmarks;
  benchmarks.erase(benchmarks.begin() + 1);  // drop the A0 benchmark
  const GateReport r = EvaluateGates(AllRules(), run, nullptr, {});
  const auto v = VerdictsOf(r, "facade.a1_over_a0.get");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0]->status, VerdictStatus::kSkip);
  EXPECT_NE(v[0]->reason.find("denominator absent"), std::string::npos) << v[0]->reason;
}

TEST(GateEval, EngineInScopeWithoutBenchmarkIsSkipped) {
  RunFile run = Load("gates/snapshot.acquire.pass.json");
  run.baseline.config.engines = {"btree", "sharded"};
  const GateReport r = EvaluateGates(AllRules(), run, nullptr, {});
  const auto v = VerdictsOf(r, "snapshot.acquire");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0]->status, VerdictStatus::kPass);
  EXPECT_EQ(v[1]->status, VerdictStatus::kSkip);
  EXPECT_NE(v[1]->reason.find("engine=sharded"), std::string::npos);
  EXPECT_EQ(OutcomeOf(r, "snapshot.acquire")->status, VerdictStatus::kPass);
}

TEST(GateEval, RegressionAgainstAnotherMachineIsAdvisory) {
  const RunFile now = Load("gates/regression.latency_2x.fail.json");
  RunFile before = Load("gates/regression.latency_2x.previous.json");
  before.baseline.environment["hostname"] = "other-host";
  const GateReport r = EvaluateGates(AllRules(), now, &before, {});
  EXPECT_TRUE(r.cross_machine);
  const auto v = VerdictsOf(r, "regression.latency_2x");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0]->status, VerdictStatus::kWarn);
  EXPECT_TRUE(v[0]->advisory);
  EXPECT_NE(v[0]->reason.find("different machine"), std::string::npos) << v[0]->reason;
  GateOptions allow;
  allow.allow_cross_machine = true;
  const GateReport enforced = EvaluateGates(AllRules(), now, &before, allow);
  EXPECT_EQ(VerdictsOf(enforced, "regression.latency_2x")[0]->status, VerdictStatus::kFail);
}

TEST(GateEval, RegressionNeedsSignificanceWhenTestable) {
  RunFile now = Load("gates/regression.latency_2x.fail.json");
  RunFile before = Load("gates/regression.latency_2x.previous.json");
  // Medians 2.5x apart but the repetitions overlap heavily: not significant -> warn.
  const double old_reps[] = {100, 1000, 5000, 900, 1100};
  const double new_reps[] = {2500, 150, 6000, 2400, 800};
  for (int i = 0; i < 5; ++i) {
    before.baseline.benchmarks[0].repetitions[i].ns_per_op = old_reps[i];
    now.baseline.benchmarks[0].repetitions[i].ns_per_op = new_reps[i];
  }
  const GateReport r = EvaluateGates(AllRules(), now, &before, {});
  const auto v = VerdictsOf(r, "regression.latency_2x");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0]->status, VerdictStatus::kWarn);
  EXPECT_NE(v[0]->reason.find("not significant"), std::string::npos) << v[0]->reason;
  ASSERT_TRUE(v[0]->p_value.has_value());
  EXPECT_GE(*v[0]->p_value, 0.05);
}

TEST(GateEval, RegressionWithTooFewRepetitionsJudgesTheRatio) {
  RunFile now = Load("gates/regression.latency_2x.fail.json");
  RunFile before = Load("gates/regression.latency_2x.previous.json");
  now.baseline.benchmarks[0].repetitions.resize(1);
  before.baseline.benchmarks[0].repetitions.resize(1);
  const GateReport r = EvaluateGates(AllRules(), now, &before, {});
  const auto v = VerdictsOf(r, "regression.latency_2x");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0]->status, VerdictStatus::kFail);
  EXPECT_NE(v[0]->reason.find("too few repetitions"), std::string::npos) << v[0]->reason;
}

TEST(GateEval, VerdictFileRoundTrip) {
  const GateReport r =
      EvaluateGates(AllRules(), Load("gates/non_reference_slow.json"), nullptr, {});
  TempDir tmp;
  ASSERT_TRUE(util::WriteFile(tmp / "gates.json", util::JsonFileText(GateReportToJson(r))).ok());
  const VerdictFileSummary s = ValueOf(LoadVerdictFile(tmp / "gates.json"));
  EXPECT_EQ(s.verdicts_fail, r.Count(VerdictStatus::kFail));
  EXPECT_EQ(s.verdicts_warn, r.Count(VerdictStatus::kWarn));
  EXPECT_EQ(s.rules_fail, r.RuleCount(VerdictStatus::kFail));
  EXPECT_EQ(s.rules_skip, r.RuleCount(VerdictStatus::kSkip));
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_EQ(s.failures[0].id, "snapshot.acquire");
  EXPECT_FALSE(s.reference_match);
  // Every verdict in the file carries the fields the spec names.
  const boost::json::value v = ValueOf(util::LoadJsonFile(tmp / "gates.json"));
  for (const auto& verdict : v.at("verdicts").as_array()) {
    for (const char* key : {"id", "status", "actual", "threshold", "margin", "reason"}) {
      EXPECT_TRUE(verdict.as_object().contains(key)) << key;
    }
  }
  // A baseline is not a verdict file.
  Result<VerdictFileSummary> not_verdicts = LoadVerdictFile(Fixture("compare/old.json"));
  ASSERT_FALSE(not_verdicts.ok());
  EXPECT_NE(not_verdicts.error().message().find("not a gate verdict file"), std::string::npos);
}

}  // namespace
}  // namespace statelab::gates
