// gates/gates.json and gates/reference_platform.json are well formed and cover every rule family;
// the loader rejects rules that could silently never fire.

#include "gates/rules.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "tests/gates/test_util.h"
#include "util/json.h"

namespace statelab::gates {
namespace {

using statelab::testing_util::SourcePath;

TEST(GatesJson, LoadsAndCoversEveryFamily) {
  Result<RuleSet> loaded = LoadRules(SourcePath("gates/gates.json"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const RuleSet& rs = *loaded;
  std::set<std::string> families;
  for (const auto& r : rs.rules) {
    families.insert(r.family);
    EXPECT_FALSE(r.source.empty()) << r.id << ": say which seed the numbers come from";
    EXPECT_FALSE(r.thresholds.basis.empty()) << r.id << ": say how the thresholds were chosen";
  }
  for (const char* f : {"latency", "throughput", "facade_tax", "snapshot", "scaling", "tail",
                        "allocations", "durability", "recovery", "vector", "regression"}) {
    EXPECT_TRUE(families.count(f)) << "no rule of family " << f;
  }
  // Seed red flags that must be present exactly.
  const Rule* snap = rs.Find("snapshot.acquire");
  ASSERT_NE(snap, nullptr);
  EXPECT_EQ(snap->thresholds.target, 500);
  EXPECT_EQ(snap->thresholds.red_flag, 2000);
  const Rule* a1a0 = rs.Find("facade.a1_over_a0.get");
  ASSERT_NE(a1a0, nullptr);
  EXPECT_EQ(a1a0->thresholds.red_flag, 20);
  const Rule* s4 = rs.Find("scaling.disjoint_4t");
  ASSERT_NE(s4, nullptr);
  EXPECT_EQ(s4->thresholds.red_flag, 2.5);
  EXPECT_EQ(s4->min_cores, 4);
  const Rule* reg = rs.Find("regression.latency_2x");
  ASSERT_NE(reg, nullptr);
  EXPECT_EQ(reg->thresholds.red_flag, 2.0);
  const Rule* tput = rs.Find("regression.throughput_50pct");
  ASSERT_NE(tput, nullptr);
  EXPECT_EQ(tput->thresholds.red_flag, 0.5);
  EXPECT_EQ(tput->direction, Direction::kMin);
}

TEST(ReferencePlatformJson, UsesOnlyMatcherKeys) {
  Result<boost::json::value> loaded =
      util::LoadJsonFile(SourcePath("gates/reference_platform.json"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const boost::json::value& v = *loaded;
  ASSERT_TRUE(v.is_object());
  // The harness matcher reports unknown keys as a mismatch (docs/baseline_schema.md).
  const std::set<std::string> known = {
      "cpu_model_contains", "cpu_vendor", "min_cores",        "min_pus",
      "hypervisor",         "smt",        "min_memory_bytes", "kernel_release_prefix",
      "governor",           "turbo",      "description"};
  for (const auto& kv : v.get_object()) {
    EXPECT_TRUE(known.count(std::string(kv.key()))) << "unknown key " << kv.key();
  }
  EXPECT_TRUE(v.get_object().contains("cpu_model_contains"));
  EXPECT_TRUE(v.get_object().contains("min_cores"));
}

// A valid one-rule file; tests patch one piece at a time.
std::string RuleFile(const std::string& rule_body) {
  return R"({"schema_version": "1", "rules": [{)" + rule_body + "}]}";
}

const char kGoodRule[] =
    R"("id": "t.rule", "family": "latency", "description": "d", "source": "s", "kind": "threshold",
       "select": {"tier": "A1", "op": "get_direct"}, "metric": "median_ns", "direction": "max",
       "unit": "ns", "thresholds": {"target": 1, "red_flag": 2, "basis": "b"},
       "scope": {"engines": "*", "modes": "*"}, "reference_only": false, "min_cores": 1)";

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  const auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

std::string LoadError(const std::string& text) {
  Result<RuleSet> rs = ParseRules(text, "test.json");
  EXPECT_FALSE(rs.ok()) << "accepted: " << text;
  if (rs.ok()) return "";
  EXPECT_EQ(rs.error().code(), Code::kInvalidArgument);
  return std::string(rs.error().message());
}

TEST(RulesLoader, AcceptsTheBaseRule) {
  Result<RuleSet> rs = ParseRules(RuleFile(kGoodRule), "test.json");
  ASSERT_TRUE(rs.ok()) << rs.status().ToString();
  ASSERT_EQ(rs->rules.size(), 1u);
  EXPECT_EQ(rs->rules[0].select.Describe(), "tier=A1 op=get_direct");
}

TEST(RulesLoader, RejectsUnknownKey) {
  const std::string e = LoadError(RuleFile(std::string(kGoodRule) + R"(, "treshold": 3)"));
  EXPECT_NE(e.find("test.json"), std::string::npos) << e;
  EXPECT_NE(e.find("t.rule"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown key \"treshold\""), std::string::npos) << e;
}

TEST(RulesLoader, RejectsRuleThatCannotFail) {
  const std::string e = LoadError(RuleFile(Replace(kGoodRule, R"(, "red_flag": 2)", "")));
  EXPECT_NE(e.find("red_flag"), std::string::npos) << e;
}

TEST(RulesLoader, RejectsThresholdsInTheWrongOrder) {
  LoadError(RuleFile(Replace(kGoodRule, R"("red_flag": 2)", R"("red_flag": 0.5)")));
  LoadError(RuleFile(Replace(kGoodRule, R"("target": 1,)", R"("target": 1, "acceptable": 3,)")));
  // "min" rules need target >= red flag.
  LoadError(RuleFile(Replace(kGoodRule, R"("direction": "max")", R"("direction": "min")")));
}

TEST(RulesLoader, RejectsRuleWithoutWarnBand) {
  // target == red flag: nothing between pass and fail, so a value near it flips between them.
  const std::string e =
      LoadError(RuleFile(Replace(kGoodRule, R"("red_flag": 2)", R"("red_flag": 1)")));
  EXPECT_NE(e.find("no warn band"), std::string::npos) << e;
  EXPECT_NE(e.find("t.rule"), std::string::npos) << e;
}

TEST(RulesLoader, ReadsTheSuite) {
  Result<RuleSet> rs = ParseRules(RuleFile(kGoodRule), "test.json");
  ASSERT_TRUE(rs.ok()) << rs.status().ToString();
  EXPECT_EQ(rs->rules[0].suite, "quick") << "a rule without a suite is demanded by every CI run";
  const Result<RuleSet> standard =
      ParseRules(RuleFile(std::string(kGoodRule) + R"(, "suite": "standard")"), "test.json");
  ASSERT_TRUE(standard.ok()) << standard.status().ToString();
  EXPECT_EQ(standard->rules[0].suite, "standard");
  const std::string e = LoadError(RuleFile(std::string(kGoodRule) + R"(, "suite": "nightly")"));
  EXPECT_NE(e.find("suite"), std::string::npos) << e;
  EXPECT_EQ(SuiteRank("quick"), 0);
  EXPECT_EQ(SuiteRank("full"), 2);
  EXPECT_FALSE(SuiteRank("custom").has_value());
}

TEST(RulesLoader, RejectsUnknownKindMetricAndSelectorKey) {
  EXPECT_NE(LoadError(RuleFile(Replace(kGoodRule, R"("threshold")", R"("thresh")"))).find("kind"),
            std::string::npos);
  EXPECT_NE(LoadError(RuleFile(Replace(kGoodRule, R"("median_ns")", R"("medain_ns")")))
                .find("unknown metric"),
            std::string::npos);
  EXPECT_NE(LoadError(RuleFile(Replace(kGoodRule, R"("op": "get_direct")", R"("opp": "x")")))
                .find("unknown key \"opp\""),
            std::string::npos);
  EXPECT_NE(LoadError(RuleFile(Replace(kGoodRule, R"("op": "get_direct")", R"("name_regex": "(")")))
                .find("name_regex: invalid regular expression '('"),
            std::string::npos);
}

TEST(RulesLoader, RejectsDuplicateIdsAndMissingScope) {
  const std::string two = R"({"schema_version": "1", "rules": [{)" + std::string(kGoodRule) +
                          "}, {" + kGoodRule + "}]}";
  EXPECT_NE(LoadError(two).find("duplicate id"), std::string::npos);
  LoadError(RuleFile(Replace(kGoodRule, R"("scope": {"engines": "*", "modes": "*"},)", "")));
  LoadError(RuleFile(Replace(kGoodRule, R"("min_cores": 1)", R"("min_cores": 0)")));
}

TEST(RulesLoader, RatioRuleNeedsBothOperands) {
  const std::string ratio =
      R"("id": "t.ratio", "family": "facade_tax", "description": "d", "kind": "ratio",
         "numerator": {"select": {"tier": "A1"}, "metric": "median_ns"},
         "direction": "max", "unit": "ratio", "thresholds": {"target": 1, "red_flag": 2},
         "scope": {"engines": "*", "modes": "*"}, "reference_only": false, "min_cores": 1)";
  EXPECT_NE(LoadError(RuleFile(ratio)).find("denominator"), std::string::npos);
}

}  // namespace
}  // namespace statelab::gates
