// Data-driven: every rule in gates/gates.json must pass on its hand-made pass fixture and fail on
// its fail fixture (tests/fixtures/gates/<id>.{pass,fail}.json, written by
// tests/fixtures/make_fixtures.py). A new rule without fixtures fails here, so no gate can exist
// that has never been seen to fail.

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "gates/gate_eval.h"
#include "gates/rules.h"
#include "gates/run_facts.h"
#include "tests/gates/test_util.h"

namespace statelab::gates {
namespace {

using statelab::testing_util::Fixture;
using statelab::testing_util::SourcePath;
using statelab::testing_util::ValueOf;

const RuleSet& Rules() {
  static const RuleSet* rules = new RuleSet(ValueOf(LoadRules(SourcePath("gates/gates.json"))));
  return *rules;
}

std::vector<std::string> RuleIds() {
  std::vector<std::string> ids;
  for (const auto& r : Rules().rules) ids.push_back(r.id);
  // A broken gates.json must not turn into "zero tests ran".
  if (ids.empty()) ids.emplace_back("gates.json-did-not-load");
  return ids;
}

// Evaluates one rule alone against a fixture and returns its outcome.
RuleOutcome EvaluateOne(const Rule& rule, const std::string& kind, GateReport* report) {
  const std::string path = Fixture("gates/" + rule.id + "." + kind + ".json");
  EXPECT_TRUE(std::filesystem::exists(path))
      << "rule " << rule.id << " has no " << kind
      << " fixture; add it to GATE_CASES in tests/fixtures/make_fixtures.py and run the script";
  const RunFile run = ValueOf(LoadRunFile(path));
  EXPECT_TRUE(ReadEnvironmentFacts(run.baseline.environment).reference_match)
      << path
      << ": gate fixtures run on reference hardware, so "
         "reference-only rules are binding";
  RunFile previous;
  const bool regression = rule.kind == RuleKind::kRegression;
  if (regression) {
    const std::string prev = Fixture("gates/" + rule.id + ".previous.json");
    previous = ValueOf(LoadRunFile(prev));
  }
  RuleSet one;
  one.path = Rules().path;
  one.schema_version = Rules().schema_version;
  one.rules = {rule};
  *report = EvaluateGates(one, run, regression ? &previous : nullptr, GateOptions{});
  for (const RuleOutcome& o : report->rules) {
    if (o.id == rule.id) return o;
  }
  return RuleOutcome{};
}

std::string Dump(const GateReport& r) {
  std::string out;
  for (const auto& v : r.verdicts) {
    out +=
        "  " + std::string(VerdictStatusName(v.status)) + " " + v.subject + ": " + v.reason + "\n";
  }
  return out;
}

class GateRuleFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GateRuleFixtureTest, PassFixturePassesAndFailFixtureFails) {
  const Rule* rule = Rules().Find(GetParam());
  ASSERT_NE(rule, nullptr) << "gates/gates.json did not load";

  GateReport pass_report;
  const RuleOutcome pass = EvaluateOne(*rule, "pass", &pass_report);
  EXPECT_EQ(pass.status, VerdictStatus::kPass) << rule->id << " on its pass fixture:\n"
                                               << Dump(pass_report);
  EXPECT_GT(pass.pass, 0);
  EXPECT_EQ(pass_report.ExitCode(), util::kExitOk);

  GateReport fail_report;
  const RuleOutcome fail = EvaluateOne(*rule, "fail", &fail_report);
  EXPECT_EQ(fail.status, VerdictStatus::kFail) << rule->id << " on its fail fixture:\n"
                                               << Dump(fail_report);
  EXPECT_EQ(fail_report.ExitCode(), util::kExitFailed);
  for (const auto& v : fail_report.verdicts) {
    if (v.status != VerdictStatus::kFail) continue;
    EXPECT_EQ(v.threshold_name, "red_flag");
    ASSERT_TRUE(v.threshold.has_value());
    EXPECT_DOUBLE_EQ(*v.threshold, rule->thresholds.red_flag);
    ASSERT_TRUE(v.margin.has_value());
    EXPECT_LT(*v.margin, 0) << "a failing verdict is on the wrong side of its threshold";
    EXPECT_FALSE(v.reason.empty());
  }
}

INSTANTIATE_TEST_SUITE_P(EveryRule, GateRuleFixtureTest, ::testing::ValuesIn(RuleIds()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(GateRuleFixtures, NoFixtureWithoutARule) {
  // Stale fixtures would hide a renamed rule.
  std::set<std::string> ids;
  for (const auto& r : Rules().rules) ids.insert(r.id);
  for (const auto& entry : std::filesystem::directory_iterator(Fixture("gates"))) {
    const std::string name = entry.path().filename().string();
    for (const std::string suffix : {".pass.json", ".fail.json", ".previous.json"}) {
      if (name.size() > suffix.size() &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        const std::string id = name.substr(0, name.size() - suffix.size());
        EXPECT_TRUE(ids.count(id)) << name << " has no rule " << id << " in gates/gates.json";
      }
    }
  }
}

}  // namespace
}  // namespace statelab::gates
