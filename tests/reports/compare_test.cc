// Compare: verdict rules (threshold AND significance), geometric means, cross-machine handling,
// and statelab-compare / scripts/compare_baseline.sh as child processes.

#include "reports/compare.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "gates/run_facts.h"
#include "tests/gates/test_util.h"
#include "util/json.h"

#ifndef STATELAB_COMPARE_BIN
#error "STATELAB_COMPARE_BIN must point at the built statelab-compare"
#endif

namespace statelab::reports {
namespace {

using statelab::testing_util::Fixture;
using statelab::testing_util::Quoted;
using statelab::testing_util::ReadAll;
using statelab::testing_util::RunCommand;
using statelab::testing_util::SourcePath;
using statelab::testing_util::TempDir;
using statelab::testing_util::ValueOf;

gates::RunFile Load(const std::string& rel) { return ValueOf(gates::LoadRunFile(Fixture(rel))); }

const CompareRow* RowOf(const CompareResult& r, const std::string& name) {
  for (const auto& row : r.rows) {
    if (row.name == name) return &row;
  }
  return nullptr;
}

TEST(Compare, IdenticalRunsHaveNoRegression) {
  const CompareResult r = CompareBaselines(Load("compare/old.json"), Load("compare/same.json"), {});
  EXPECT_EQ(r.Count(Change::kRegression), 0);
  EXPECT_EQ(r.Count(Change::kImprovement), 0);
  EXPECT_EQ(r.Count(Change::kUnchanged), 6);
  EXPECT_FALSE(r.cross_machine);
  EXPECT_EQ(r.ExitCode(), 0);
  ASSERT_TRUE(r.overall.has_value());
  EXPECT_DOUBLE_EQ(r.overall->geomean_ratio, 1.0);
  for (const auto& row : r.rows) EXPECT_NEAR(*row.p_value, 1.0, 1e-12) << row.name;
}

TEST(Compare, TwoTimesSlowerIsARegression) {
  const CompareResult r =
      CompareBaselines(Load("compare/old.json"), Load("compare/slower_2x.json"), {});
  EXPECT_EQ(r.Count(Change::kRegression), 1);
  const CompareRow* row = RowOf(r, "B/kv/get/btree/inmemory");
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->verdict, Change::kRegression);
  EXPECT_DOUBLE_EQ(*row->old_median_ns, 1000);
  EXPECT_DOUBLE_EQ(*row->new_median_ns, 2000);
  EXPECT_NEAR(*row->change_pct, 100.0, 1e-9);
  EXPECT_LT(*row->p_value, 0.05);
  EXPECT_NEAR(*row->p_value, 2.0 / 252.0, 1e-12) << "5 vs 5 fully separated";
  EXPECT_EQ(row->method, "exact");
  EXPECT_EQ(r.ExitCode(), 1);
  // Geometric means: tier B has kv/get x2 and two unchanged benchmarks: 2^(1/3).
  for (const auto& g : r.by_tier) {
    if (g.key == "B") {
      EXPECT_NEAR(g.geomean_ratio, std::cbrt(2.0), 1e-9);
    }
    if (g.key == "A1") {
      EXPECT_NEAR(g.geomean_ratio, 1.0, 1e-12);
    }
  }
  for (const auto& g : r.by_engine) {
    if (g.key == "sharded") {
      EXPECT_NEAR(g.geomean_ratio, 1.0, 1e-12);
    }
    if (g.key == "btree") {
      EXPECT_NEAR(g.geomean_ratio, std::pow(2.0, 0.25), 1e-9);
    }
  }
  const std::string md = CompareToMarkdown(r);
  EXPECT_NE(md.find("## Regressions"), std::string::npos);
  EXPECT_NE(md.find("`B/kv/get/btree/inmemory` | 1000 | 2000 | +100.0% | 0.0079"),
            std::string::npos)
      << md;
}

TEST(Compare, ThreePercentIsNotARegressionEvenIfSignificant) {
  const CompareResult r =
      CompareBaselines(Load("compare/old.json"), Load("compare/change_3pct.json"), {});
  EXPECT_EQ(r.Count(Change::kRegression), 0);
  const CompareRow* row = RowOf(r, "B/kv/get/btree/inmemory");
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->verdict, Change::kUnchanged);
  EXPECT_NEAR(*row->change_pct, 3.0, 1e-9);
  EXPECT_LT(*row->p_value, 0.05) << "consistent shift: significant, but below the threshold";
  EXPECT_EQ(r.ExitCode(), 0);
  // With a 2% threshold the same data is a regression.
  CompareOptions tight;
  tight.threshold_pct = 2;
  EXPECT_EQ(CompareBaselines(Load("compare/old.json"), Load("compare/change_3pct.json"), tight)
                .Count(Change::kRegression),
            1);
}

TEST(Compare, BigButInsignificantChangeIsNotARegression) {
  gates::RunFile old_run = Load("compare/old.json");
  gates::RunFile new_run = Load("compare/slower_2x.json");
  // Three repetitions each: the smallest possible p is 0.1, so nothing can be significant.
  for (auto* run : {&old_run, &new_run}) {
    for (auto& bench : run->baseline.benchmarks) bench.repetitions.resize(3);
  }
  const CompareResult r = CompareBaselines(old_run, new_run, {});
  const CompareRow* row = RowOf(r, "B/kv/get/btree/inmemory");
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->verdict, Change::kUnchanged);
  EXPECT_NE(row->note.find("too few repetitions"), std::string::npos) << row->note;
}

TEST(Compare, ImprovementNewAndRemoved) {
  CompareResult r = CompareBaselines(Load("compare/old.json"), Load("compare/faster_2x.json"), {});
  EXPECT_EQ(r.Count(Change::kImprovement), 1);
  EXPECT_EQ(RowOf(r, "B/kv/put/btree/inmemory")->verdict, Change::kImprovement);
  EXPECT_EQ(r.ExitCode(), 0);
  r = CompareBaselines(Load("compare/old.json"), Load("compare/added_removed.json"), {});
  EXPECT_EQ(RowOf(r, "A1/engine/put_direct/btree/inmemory")->verdict, Change::kRemoved);
  EXPECT_EQ(RowOf(r, "B/kv/delete/btree/inmemory")->verdict, Change::kNew);
  EXPECT_EQ(r.ExitCode(), 0);
}

TEST(Compare, CrossMachineWarnsAndDoesNotFail) {
  const CompareResult r =
      CompareBaselines(Load("compare/old.json"), Load("compare/other_machine_2x.json"), {});
  EXPECT_TRUE(r.cross_machine);
  EXPECT_NE(r.cross_machine_reason.find("hostname \"ref-host\" vs \"dev-vm\""), std::string::npos)
      << r.cross_machine_reason;
  EXPECT_EQ(r.Count(Change::kRegression), 1) << "still reported";
  EXPECT_EQ(r.ExitCode(), 0) << "but never fails across machines by default";
  const std::string md = CompareToMarkdown(r);
  EXPECT_EQ(md.find("# Compare"), 0u);
  EXPECT_LT(md.find("cross-machine comparison"), md.find("- Old:")) << "the warning is at the top";
  CompareOptions allow;
  allow.allow_cross_machine = true;
  EXPECT_EQ(CompareBaselines(Load("compare/old.json"), Load("compare/other_machine_2x.json"), allow)
                .ExitCode(),
            1);
}

TEST(Compare, JsonOutput) {
  const CompareResult r =
      CompareBaselines(Load("compare/old.json"), Load("compare/slower_2x.json"), {});
  const boost::json::value v = CompareToJson(r);
  EXPECT_EQ(v.at("counts").at("regression").as_int64(), 1);
  EXPECT_EQ(v.at("exit_code").as_int64(), 1);
  bool found = false;
  for (const auto& row : v.at("rows").as_array()) {
    if (row.at("name").as_string() == "B/kv/get/btree/inmemory") {
      found = true;
      EXPECT_EQ(row.at("verdict").as_string(), "regression");
      EXPECT_EQ(row.at("old_median_ns").as_double(), 1000);
    }
  }
  EXPECT_TRUE(found);
}

// Replaces the repetitions of benchmark `name` with these ns per op.
void SetRepetitions(gates::RunFile* run, const std::string& name, const std::vector<double>& ns) {
  for (auto& b : run->baseline.benchmarks) {
    if (b.name != name) continue;
    b.repetitions.clear();
    for (double v : ns) b.repetitions.push_back({v, 1e9 / v, 1000});
    return;
  }
  ADD_FAILURE() << "no benchmark " << name;
}

constexpr char kGet[] = "B/kv/get/btree/inmemory";

TEST(CompareStability, BimodalCellTwiceAsSlowIsUnstableNotARegression) {
  // The case: bimodal repetitions, then a 2x slowdown of every one of them.
  const std::vector<double> bimodal = {46086, 21134, 1781, 1772, 1845};
  std::vector<double> doubled;
  for (double v : bimodal) doubled.push_back(2 * v);
  gates::RunFile old_run = Load("compare/old.json");
  gates::RunFile new_run = Load("compare/old.json");
  SetRepetitions(&old_run, kGet, bimodal);
  SetRepetitions(&new_run, kGet, doubled);
  const CompareResult r = CompareBaselines(old_run, new_run, {});
  const CompareRow* row = RowOf(r, kGet);
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->verdict, Change::kUnstable);
  EXPECT_TRUE(row->old_stability.unstable);
  EXPECT_TRUE(row->new_stability.unstable);
  EXPECT_NE(row->note.find("unstable in the old run: cv "), std::string::npos) << row->note;
  EXPECT_NE(row->note.find("unstable in the new run: cv "), std::string::npos) << row->note;
  EXPECT_NE(row->note.find("max/min 26 > 2"), std::string::npos) << row->note;
  EXPECT_NE(row->note.find("bimodal: 3 values in 1772-1845"), std::string::npos) << row->note;
  EXPECT_NEAR(*row->change_pct, 100.0, 1e-9) << "the change is still shown";
  EXPECT_EQ(r.Count(Change::kUnstable), 1);
  EXPECT_EQ(r.Count(Change::kRegression), 0);
  EXPECT_EQ(r.Count(Change::kUnchanged), 5);
  EXPECT_EQ(r.ExitCode(), 0) << "unstable cells never fail";
  ASSERT_TRUE(r.overall.has_value());
  EXPECT_EQ(r.overall->count, 5) << "unstable cells are left out of the geometric means";
  EXPECT_DOUBLE_EQ(r.overall->geomean_ratio, 1.0);

  const std::string md = CompareToMarkdown(r);
  EXPECT_NE(md.find("0 regressions, 0 improvements, 5 unchanged, 1 unstable"), std::string::npos)
      << md;
  EXPECT_NE(md.find("## Unstable (no verdict)"), std::string::npos) << md;
  EXPECT_NE(md.find("| `B/kv/get/btree/inmemory` | 1845 | 3690 | +100.0% |"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| unstable | unstable in the old run"), std::string::npos) << md;

  const boost::json::value v = CompareToJson(r);
  EXPECT_EQ(v.at("counts").at("unstable").as_int64(), 1);
  EXPECT_EQ(v.at("exit_code").as_int64(), 0);
  for (const auto& jrow : v.at("rows").as_array()) {
    if (jrow.at("name").as_string() != kGet) continue;
    EXPECT_EQ(jrow.at("verdict").as_string(), "unstable");
    EXPECT_TRUE(jrow.at("old_stability").at("bimodal").as_bool());
    EXPECT_TRUE(jrow.at("new_stability").at("unstable").as_bool());
    EXPECT_NEAR(jrow.at("old_stability").at("max_over_min").to_number<double>(), 46086.0 / 1772,
                1e-9);
    EXPECT_EQ(jrow.at("old_stability").at("reasons").as_array().size(), 3u);
  }
}

TEST(CompareStability, UnstableInOneRunIsEnoughAndSaysWhich) {
  gates::RunFile old_run = Load("compare/old.json");
  gates::RunFile new_run = Load("compare/slower_2x.json");
  // The new run's 2x slowdown would be a regression; one wild repetition makes it unstable.
  SetRepetitions(&new_run, kGet, {2000, 1960, 2020, 1980, 5000});
  const CompareResult r = CompareBaselines(old_run, new_run, {});
  const CompareRow* row = RowOf(r, kGet);
  EXPECT_EQ(row->verdict, Change::kUnstable);
  EXPECT_FALSE(row->old_stability.unstable);
  EXPECT_EQ(row->note.find("old run"), std::string::npos) << row->note;
  EXPECT_NE(row->note.find("unstable in the new run: cv 0.519 > 0.2; max/min 2.55 > 2."),
            std::string::npos)
      << row->note;
  EXPECT_EQ(r.ExitCode(), 0);
  // The same cell with a tight new run is the regression it was.
  EXPECT_EQ(CompareBaselines(old_run, Load("compare/slower_2x.json"), {}).ExitCode(), 1);
}

TEST(CompareStability, EnvironmentWarningsOfEitherRunAtTheTop) {
  gates::RunFile old_run = Load("compare/old.json");
  gates::RunFile new_run = Load("compare/same.json");
  old_run.baseline.environment["warnings"] = boost::json::array{"running in a virtual machine"};
  new_run.baseline.environment["warnings"] =
      boost::json::array{"running in a virtual machine", "load average 3.2 > 0.5 before the run"};
  const CompareResult r = CompareBaselines(old_run, new_run, {});
  EXPECT_EQ(r.environment_warnings,
            (std::vector<std::string>{"both runs: running in a virtual machine",
                                      "new run: load average 3.2 > 0.5 before the run"}));
  const std::string md = CompareToMarkdown(r);
  const auto load = md.find("> - new run: load average 3.2 > 0.5 before the run");
  ASSERT_NE(load, std::string::npos) << md;
  EXPECT_LT(load, md.find("- Old:")) << "at the top";
  EXPECT_NE(md.find("> - both runs: running in a virtual machine"), std::string::npos) << md;
  const boost::json::value v = CompareToJson(r);
  EXPECT_EQ(v.at("environment_warnings").as_array().size(), 2u);
  // Without recorded warnings there is no section.
  EXPECT_EQ(
      CompareToMarkdown(CompareBaselines(Load("compare/old.json"), Load("compare/same.json"), {}))
          .find("Environment warnings"),
      std::string::npos);
}

// --- the executable and the script ----------------------------------------------------------

std::string Cmp(const std::string& args) { return Quoted(STATELAB_COMPARE_BIN) + " " + args; }

TEST(CompareCli, ExitCodesAndMessages) {
  const std::string old_json = Quoted(Fixture("compare/old.json"));
  auto r = RunCommand(Cmp(old_json + " " + Quoted(Fixture("compare/same.json"))));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("0 regressions"), std::string::npos);

  r = RunCommand(Cmp(old_json + " " + Quoted(Fixture("compare/slower_2x.json"))));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("B/kv/get/btree/inmemory"), std::string::npos);

  r = RunCommand(Cmp(old_json + " " + Quoted(Fixture("compare/change_3pct.json"))));
  EXPECT_EQ(r.exit_code, 0) << r.output;

  r = RunCommand(Cmp(old_json + " " + Quoted(Fixture("compare/other_machine_2x.json"))));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("WARNING: cross-machine comparison"), std::string::npos) << r.output;
  r = RunCommand(Cmp(old_json + " " + Quoted(Fixture("compare/other_machine_2x.json")) +
                     " --allow-cross-machine"));
  EXPECT_EQ(r.exit_code, 1) << r.output;

  const std::string malformed = Fixture("compare/malformed.json");
  r = RunCommand(Cmp(old_json + " " + Quoted(malformed)));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.output.find(malformed + ": malformed JSON at line"), std::string::npos) << r.output;
  r = RunCommand(Cmp(old_json + " /nonexistent.json"));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.output.find("/nonexistent.json: cannot open"), std::string::npos) << r.output;

  r = RunCommand(Cmp(old_json));
  EXPECT_EQ(r.exit_code, 2);
  r = RunCommand(Cmp(old_json + " " + old_json + " --treshold 5"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown flag '--treshold'"), std::string::npos) << r.output;
  r = RunCommand(Cmp(old_json + " " + old_json + " --alpha 2"));
  EXPECT_EQ(r.exit_code, 2);
}

TEST(CompareCli, ThresholdAlphaJsonAndOut) {
  TempDir tmp;
  const std::string args =
      Quoted(Fixture("compare/old.json")) + " " + Quoted(Fixture("compare/change_3pct.json"));
  auto r = RunCommand(Cmp(args + " --threshold 2 --alpha 0.05 --out " + Quoted(tmp.path())));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(std::filesystem::exists(tmp / "compare.md"));
  const boost::json::value v = ValueOf(util::LoadJsonFile(tmp / "compare.json"));
  EXPECT_EQ(v.at("threshold_pct").to_number<double>(), 2.0);
  // A stricter alpha than the smallest achievable p-value makes nothing significant.
  r = RunCommand(Cmp(args + " --threshold 2 --alpha 0.005"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = RunCommand(Cmp(args + " --json"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(util::ParseJsonExact(r.output, "stdout").ok()) << r.output;
}

TEST(CompareBaselineScript, RunsTheCompareTool) {
  const std::string env = "STATELAB_COMPARE_BIN=" + Quoted(STATELAB_COMPARE_BIN) + " ";
  const std::string script = Quoted(SourcePath("scripts/compare_baseline.sh"));
  auto r = RunCommand(env + script + " " + Quoted(Fixture("compare/old.json")) + " " +
                      Quoted(Fixture("compare/slower_2x.json")));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("| regression |"), std::string::npos) << r.output;
  r = RunCommand(env + script + " " + Quoted(Fixture("compare/old.json")) + " " +
                 Quoted(Fixture("compare/malformed.json")));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  r = RunCommand(env + script);
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

}  // namespace
}  // namespace statelab::reports
