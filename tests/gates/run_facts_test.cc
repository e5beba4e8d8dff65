// What the downstream tools read from a baseline.json through the harness model: load errors that
// name the file and the field, environment facts, metrics by name (null is "no value", never 0).

#include "gates/run_facts.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "gates/metrics.h"
#include "gates/rules.h"
#include "tests/gates/test_util.h"

namespace statelab::gates {
namespace {

using statelab::testing_util::Fixture;
using statelab::testing_util::ReadAll;
using statelab::testing_util::TempDir;
using statelab::testing_util::ValueOf;

RunFile Load(const std::string& rel) { return ValueOf(LoadRunFile(Fixture(rel))); }

// The error LoadRunFile gives for the file at `path`.
Status LoadStatus(const std::string& path) {
  Result<RunFile> run = LoadRunFile(path);
  EXPECT_FALSE(run.ok()) << path << " was accepted";
  return run.status();
}

// The message LoadRunFile gives for `text` saved as `name`.
std::string LoadError(const std::string& text, const std::string& name) {
  TempDir tmp;
  std::ofstream(tmp / name) << text;
  return std::string(LoadStatus(tmp / name).message());
}

TEST(RunFacts, ReadsFixture) {
  const RunFile run = Load("compare/old.json");
  EXPECT_EQ(run.path, Fixture("compare/old.json"));
  const harness::Baseline& b = run.baseline;
  EXPECT_EQ(b.run_id, "run_2024-05-01_12-00-00_abc1234");
  const EnvironmentFacts facts = ReadEnvironmentFacts(b.environment);
  EXPECT_EQ(facts.hostname, "ref-host");
  EXPECT_TRUE(facts.reference_match);
  EXPECT_TRUE(facts.valid_as_baseline);
  EXPECT_EQ(facts.physical_cores, 8);
  ASSERT_EQ(b.benchmarks.size(), 6u);
  const harness::BenchmarkResult* kv = FindBenchmark(b, "B/kv/get/btree/inmemory");
  ASSERT_NE(kv, nullptr);
  EXPECT_EQ(kv->repetitions.size(), 5u);
  EXPECT_DOUBLE_EQ(*MedianNs(*kv), 1000.0);
  EXPECT_DOUBLE_EQ(*MetricValue(*kv, "p99_ns"), 2000.0);
  EXPECT_DOUBLE_EQ(*MetricValue(*kv, "ops_per_sec"), 1e6);
  EXPECT_DOUBLE_EQ(*MetricValue(*kv, "allocs_per_op"), 0.0);
  EXPECT_FALSE(MetricValue(*kv, "counters.ipc").has_value()) << "null must not become 0";
  EXPECT_FALSE(MetricValue(*kv, "extra.loss_window_ms").has_value());
}

TEST(RunFacts, MalformedJsonNamesFileLineAndColumn) {
  const std::string path = Fixture("compare/malformed.json");
  const std::string error(LoadStatus(path).message());
  EXPECT_NE(error.find(path + ": malformed JSON at line"), std::string::npos) << error;
  EXPECT_NE(error.find(", column "), std::string::npos) << error;
}

TEST(RunFacts, MissingFieldNamesThePath) {
  const std::string error(LoadStatus(Fixture("compare/missing_field.json")).message());
  EXPECT_NE(error.find("missing_field.json: benchmarks[2].repetitions[0].ns_per_op: missing "
                       "required field"),
            std::string::npos)
      << error;
}

TEST(RunFacts, MissingFileAndEmptyFile) {
  const Status missing = LoadStatus("/nonexistent/baseline.json");
  EXPECT_EQ(missing.code(), Code::kIOError);
  std::string error(missing.message());
  EXPECT_NE(error.find("/nonexistent/baseline.json: cannot open"), std::string::npos) << error;
  error = LoadError("  \n", "empty.json");
  EXPECT_NE(error.find("empty.json: malformed JSON: no JSON document"), std::string::npos) << error;
}

TEST(RunFacts, RejectsOtherSchemaVersionAndWrongTypes) {
  const std::string text = ReadAll(Fixture("compare/old.json"));
  std::string v2 = text;
  v2.replace(v2.find("\"schema_version\": \"1\""), 21, "\"schema_version\": \"2\"");
  std::string error = LoadError(v2, "v2.json");
  EXPECT_NE(error.find("v2.json: schema_version: unknown schema_version \"2\""), std::string::npos)
      << error;

  std::string bad_threads = text;
  bad_threads.replace(bad_threads.find("\"threads\": 1"), 12, "\"threads\": \"one\"");
  error = LoadError(bad_threads, "t.json");
  EXPECT_NE(error.find("t.json: benchmarks[0].threads: expected integer, got string"),
            std::string::npos)
      << error;
}

TEST(RunFacts, UsableCoresAndLabel) {
  harness::Baseline b;
  b.config.cores = 16;
  b.environment["cpu"] = boost::json::object{{"cores", 8}};
  EXPECT_EQ(UsableCores(b), 8) << "SMT siblings do not count as cores for scaling";
  b.config.cores = 4;
  EXPECT_EQ(UsableCores(b), 4);
  b.environment["cpu"] = boost::json::object{{"cores", nullptr}};
  EXPECT_EQ(UsableCores(b), 4) << "unknown physical cores do not cap";
  EXPECT_EQ(RunLabel("run_2024-05-01_12-00-00_abc1234_my_label"), "my_label");
  EXPECT_EQ(RunLabel("run_2024-05-01_12-00-00_abc1234"), "");
}

TEST(RunFacts, DifferentMachines) {
  harness::Baseline a, b;
  std::string why;
  a.environment = b.environment = {{"hostname", "h"}, {"cpu", {{"model", "cpu"}}}};
  EXPECT_FALSE(DifferentMachines(a, b, &why));
  b.environment["cpu"] = boost::json::object{{"model", "other"}};
  EXPECT_TRUE(DifferentMachines(a, b, &why));
  EXPECT_NE(why.find("cpu_model"), std::string::npos);
}

TEST(RunFacts, UnrecordedReferenceAndValidityReadAsNoWithAReason) {
  const EnvironmentFacts facts = ReadEnvironmentFacts(boost::json::object{});
  EXPECT_FALSE(facts.reference_match);
  ASSERT_EQ(facts.reference_reasons.size(), 1u);
  EXPECT_NE(facts.reference_reasons[0].find("does not record"), std::string::npos);
  EXPECT_FALSE(facts.valid_as_baseline);
  EXPECT_EQ(facts.validity_reasons, std::vector<std::string>{"validity not recorded"});
  EXPECT_FALSE(facts.physical_cores.has_value());
}

TEST(Metrics, DottedPathsReadTheTypedModel) {
  harness::BenchmarkResult b;
  b.repetitions = {{300, 10, 1}, {100, 30, 1}, {200, 20, 1}};
  b.stats = harness::ComputeStats(b.repetitions).value();
  b.stats.median_ns = 250;  // as written in the file; median_ns itself reads the repetitions
  b.latency = harness::Latency{1, 2, 3, 4, 5, 6, 7, 8, {}};
  b.counters.ipc = 1.5;
  b.extra = {{"syncs_per_commit", 0.25}};
  b.params = {{"n", 1e6}, {"dist", std::string("zipfian")}, {"theta", 0.99}};
  EXPECT_EQ(MetricValue(b, "median_ns"), 200);
  EXPECT_EQ(MetricValue(b, "stats.median_ns"), 250);
  EXPECT_EQ(MetricValue(b, "ops_per_sec"), 20);
  EXPECT_EQ(MetricValue(b, "latency.max_ns"), 6);
  EXPECT_EQ(MetricValue(b, "latency.samples"), 7);
  EXPECT_EQ(MetricValue(b, "counters.ipc"), 1.5);
  EXPECT_FALSE(MetricValue(b, "counters.cycles_per_op").has_value());
  EXPECT_EQ(MetricValue(b, "extra.syncs_per_commit"), 0.25);
  EXPECT_EQ(MetricValue(b, "params.n"), 1e6);
  EXPECT_FALSE(MetricValue(b, "params.dist").has_value()) << "a string param is not a number";
  EXPECT_FALSE(MetricValue(b, "stats.nope").has_value());
  b.latency.reset();
  EXPECT_FALSE(MetricValue(b, "p99_ns").has_value());
}

TEST(Metrics, SelectorParamsMatchByValue) {
  const RuleSet rs = ValueOf(ParseRules(R"({"schema_version": "1", 
      "rules": [{"id": "t", "family": "f", "description": "d", "kind": "threshold",
      "select": {"params": {"n": 1000.0, "dist": "zipfian"}}, "metric": "median_ns",
      "direction": "max", "unit": "ns", "thresholds": {"target": 1, "red_flag": 2},
      "scope": {"engines": "*", "modes": "*"}, "reference_only": false, "min_cores": 1}]})",
                                        "t.json"));
  ASSERT_EQ(rs.rules.size(), 1u);
  harness::BenchmarkResult b;
  b.params = {{"n", 1000.0}, {"dist", std::string("zipfian")}, {"k", 10.0}};
  EXPECT_TRUE(rs.rules[0].select.Matches(b));
  b.params["n"] = 999.0;
  EXPECT_FALSE(rs.rules[0].select.Matches(b));
  EXPECT_EQ(rs.rules[0].select.Describe(), "dist=zipfian n=1000");
}

}  // namespace
}  // namespace statelab::gates
