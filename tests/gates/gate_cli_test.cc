// statelab-gate and scripts/ci_gate.sh as child processes: exit codes, messages, output files.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/gates/test_util.h"
#include "util/json.h"

#ifndef STATELAB_GATE_BIN
#error "STATELAB_GATE_BIN must point at the built statelab-gate"
#endif

namespace statelab::gates {
namespace {

using statelab::testing_util::Fixture;
using statelab::testing_util::Quoted;
using statelab::testing_util::ReadAll;
using statelab::testing_util::RunCommand;
using statelab::testing_util::SourcePath;
using statelab::testing_util::TempDir;
using statelab::testing_util::ValueOf;

std::string Gate(const std::string& args) {
  return Quoted(STATELAB_GATE_BIN) + " --rules " + Quoted(SourcePath("gates/gates.json")) + " " +
         args;
}

TEST(GateCli, HelpAndUsageErrors) {
  auto r = RunCommand(Quoted(STATELAB_GATE_BIN) + " --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("usage: statelab-gate"), std::string::npos);
  EXPECT_NE(r.output.find("Exit codes"), std::string::npos);

  r = RunCommand(Gate(Quoted(Fixture("gates/empty_run.json")) + " --bogus"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown flag '--bogus'"), std::string::npos) << r.output;

  r = RunCommand(Quoted(STATELAB_GATE_BIN));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("expected exactly one BASELINE.json"), std::string::npos) << r.output;

  r = RunCommand(Gate(Quoted(Fixture("gates/empty_run.json")) + " --previous"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("needs a value"), std::string::npos) << r.output;
}

TEST(GateCli, BadInputNamesTheFile) {
  TempDir tmp;
  auto r = RunCommand(Gate("/nonexistent/baseline.json --out " + Quoted(tmp.path())));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.output.find("/nonexistent/baseline.json: cannot open"), std::string::npos)
      << r.output;

  const std::string malformed = Fixture("compare/malformed.json");
  r = RunCommand(Gate(Quoted(malformed) + " --out " + Quoted(tmp.path())));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.output.find(malformed + ": malformed JSON at line"), std::string::npos) << r.output;

  r = RunCommand(Gate(Quoted(Fixture("gates/empty_run.json")) + " --previous " +
                      Quoted(Fixture("compare/missing_field.json")) + " --out " +
                      Quoted(tmp.path())));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.output.find("missing_field.json: benchmarks[2].repetitions[0].ns_per_op"),
            std::string::npos)
      << r.output;

  r = RunCommand(Quoted(STATELAB_GATE_BIN) + " --rules " + Quoted(malformed) + " " +
                 Quoted(Fixture("gates/empty_run.json")) + " --out " + Quoted(tmp.path()));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.output.find("malformed.json"), std::string::npos) << r.output;
}

TEST(GateCli, PassAndFailExitCodesAndOutputs) {
  TempDir tmp;
  auto r = RunCommand(
      Gate(Quoted(Fixture("gates/snapshot.acquire.pass.json")) + " --out " + Quoted(tmp.path())));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(std::filesystem::exists(tmp / "gates.json"));
  EXPECT_TRUE(std::filesystem::exists(tmp / "gates.md"));
  EXPECT_NE(ReadAll(tmp / "gates.md").find("**Result: no failures**"), std::string::npos);

  r = RunCommand(
      Gate(Quoted(Fixture("gates/snapshot.acquire.fail.json")) + " --out " + Quoted(tmp.path())));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("FAIL snapshot.acquire"), std::string::npos) << r.output;
  const std::string md = ReadAll(tmp / "gates.md");
  EXPECT_NE(md.find("**Result: FAILED**"), std::string::npos);
  EXPECT_NE(md.find("## Failures"), std::string::npos);
  EXPECT_NE(ReadAll(tmp / "gates.json").find("\"status\": \"fail\""), std::string::npos);
}

TEST(GateCli, PreviousBaselineEnablesRegressionRules) {
  TempDir tmp;
  const auto r =
      RunCommand(Gate(Quoted(Fixture("gates/regression.latency_2x.fail.json")) + " --previous " +
                      Quoted(Fixture("gates/regression.latency_2x.previous.json")) + " --out " +
                      Quoted(tmp.path())));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("FAIL regression.latency_2x"), std::string::npos) << r.output;
}

TEST(GateCli, MetricFlagMustMatchTheRun) {
  TempDir tmp;
  const std::string timed = Quoted(Fixture("gates/snapshot.acquire.pass.json"));
  auto r = RunCommand(Gate(timed + " --metric time --out " + Quoted(tmp.path())));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = RunCommand(Gate(timed + " --metric instructions --out " + Quoted(tmp.path())));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("snapshot.acquire.pass.json: measured with --metric time, not "
                          "instructions"),
            std::string::npos)
      << r.output;
  r = RunCommand(Gate(timed + " --metric cycles --out " + Quoted(tmp.path())));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--metric: expected time or instructions, got 'cycles'"),
            std::string::npos)
      << r.output;
}

TEST(GateCli, CiModeFailsOnMissingCellsAndAnEmptyRun) {
  TempDir tmp;
  const std::string pass = Quoted(Fixture("gates/snapshot.acquire.pass.json"));
  auto r = RunCommand(Gate(pass + " --out " + Quoted(tmp.path())));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  // The one-cell fixture lacks every other quick rule's cells.
  r = RunCommand(Gate(pass + " --ci --out " + Quoted(tmp.path())));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("FAIL latency.kv_get.inmemory  btree/inmemory: missing expected cell"),
            std::string::npos)
      << r.output;
  EXPECT_NE(ReadAll(tmp / "gates.json").find("\"ci\": true"), std::string::npos);
  r = RunCommand(
      Gate(Quoted(Fixture("gates/empty_run.json")) + " --ci --out " + Quoted(tmp.path())));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("FAIL run.measured"), std::string::npos) << r.output;
}

TEST(CiGateScript, PassesTheGateExitCodeThrough) {
  TempDir tmp;
  const std::string script = Quoted(SourcePath("scripts/ci_gate.sh"));
  const std::string env = "STATELAB_GATE_BIN=" + Quoted(STATELAB_GATE_BIN) + " ";
  // The script runs in CI mode: a run with one cell misses the other rules' cells...
  auto r = RunCommand(env + script + " " + Quoted(Fixture("gates/snapshot.acquire.pass.json")) +
                      " --out " + Quoted(tmp.path()));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("missing expected cell"), std::string::npos) << r.output;
  // ...and passes against a rule file that expects only that cell.
  const std::string one_rule = tmp / "one_rule.json";
  {
    boost::json::value rules = ValueOf(util::LoadJsonFile(SourcePath("gates/gates.json")));
    boost::json::array kept;
    for (const auto& rule : rules.at("rules").as_array()) {
      if (rule.at("id").as_string() == "snapshot.acquire") kept.push_back(rule);
    }
    rules.as_object()["rules"] = std::move(kept);
    ASSERT_TRUE(util::WriteFile(one_rule, util::JsonFileText(rules)).ok());
  }
  r = RunCommand(env + script + " " + Quoted(Fixture("gates/snapshot.acquire.pass.json")) +
                 " --rules " + Quoted(one_rule) + " --out " + Quoted(tmp.path()));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = RunCommand(env + script + " " + Quoted(Fixture("gates/regression.latency_2x.fail.json")) +
                 " " + Quoted(Fixture("gates/regression.latency_2x.previous.json")) + " --out " +
                 Quoted(tmp.path()));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  r = RunCommand(env + script + " " + Quoted(Fixture("compare/malformed.json")) + " --out " +
                 Quoted(tmp.path()));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  r = RunCommand(env + script);
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

}  // namespace
}  // namespace statelab::gates
