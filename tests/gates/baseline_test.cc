// The downstream baseline.json reader: clear errors naming file and field, null is "no value".

#include "gates/baseline.h"

#include <gtest/gtest.h>

#include <string>

#include "gates/json_util.h"
#include "tests/gates/test_util.h"

namespace statelab::gates {
namespace {

using statelab::testing::Fixture;
using statelab::testing::ReadAll;

TEST(BaselineReader, ReadsFixture) {
  Baseline b;
  std::string error;
  ASSERT_TRUE(LoadBaseline(Fixture("compare/old.json"), &b, &error)) << error;
  EXPECT_EQ(b.run_id, "run_2024-05-01_12-00-00_abc1234");
  EXPECT_EQ(b.hostname, "ref-host");
  EXPECT_TRUE(b.reference_match);
  EXPECT_TRUE(b.valid_as_baseline);
  EXPECT_EQ(b.physical_cores, 8);
  ASSERT_EQ(b.benchmarks.size(), 6u);
  const Benchmark* kv = b.Find("B/kv/get/btree/inmemory");
  ASSERT_NE(kv, nullptr);
  EXPECT_EQ(kv->repetitions.size(), 5u);
  EXPECT_DOUBLE_EQ(*kv->MedianNs(), 1000.0);
  EXPECT_DOUBLE_EQ(*MetricValue(*kv, "p99_ns"), 2000.0);
  EXPECT_DOUBLE_EQ(*MetricValue(*kv, "ops_per_sec"), 1e6);
  EXPECT_DOUBLE_EQ(*MetricValue(*kv, "allocs_per_op"), 0.0);
  EXPECT_FALSE(MetricValue(*kv, "counters.ipc").has_value()) << "null must not become 0";
  EXPECT_FALSE(MetricValue(*kv, "extra.loss_window_ms").has_value());
}

TEST(BaselineReader, MalformedJsonNamesFileLineAndColumn) {
  Baseline b;
  std::string error;
  const std::string path = Fixture("compare/malformed.json");
  ASSERT_FALSE(LoadBaseline(path, &b, &error));
  EXPECT_NE(error.find(path), std::string::npos) << error;
  EXPECT_NE(error.find("invalid JSON at line"), std::string::npos) << error;
}

TEST(BaselineReader, MissingFieldNamesThePath) {
  Baseline b;
  std::string error;
  ASSERT_FALSE(LoadBaseline(Fixture("compare/missing_field.json"), &b, &error));
  EXPECT_NE(error.find("missing_field.json: benchmarks[2].repetitions[0].ns_per_op: missing "
                       "required field"),
            std::string::npos)
      << error;
}

TEST(BaselineReader, MissingFileAndEmptyFile) {
  Baseline b;
  std::string error;
  ASSERT_FALSE(LoadBaseline("/nonexistent/baseline.json", &b, &error));
  EXPECT_NE(error.find("/nonexistent/baseline.json: cannot open"), std::string::npos) << error;
  ASSERT_FALSE(ParseBaseline("  \n", "empty.json", &b, &error));
  EXPECT_NE(error.find("empty.json: empty file"), std::string::npos) << error;
}

TEST(BaselineReader, RejectsOtherSchemaVersionAndWrongTypes) {
  std::string text = ReadAll(Fixture("compare/old.json"));
  Baseline b;
  std::string error;
  std::string v2 = text;
  v2.replace(v2.find("\"schema_version\": \"1\""), 21, "\"schema_version\": \"2\"");
  ASSERT_FALSE(ParseBaseline(v2, "v2.json", &b, &error));
  EXPECT_NE(error.find("unsupported value \"2\""), std::string::npos) << error;

  std::string bad_threads = text;
  bad_threads.replace(bad_threads.find("\"threads\": 1"), 12, "\"threads\": \"one\"");
  ASSERT_FALSE(ParseBaseline(bad_threads, "t.json", &b, &error));
  EXPECT_NE(error.find("t.json: benchmarks[0].threads: expected integer, got string"),
            std::string::npos)
      << error;
}

TEST(BaselineReader, UsableCoresAndLabel) {
  Baseline b;
  b.config_cores = 16;
  b.physical_cores = 8;
  EXPECT_EQ(b.UsableCores(), 8) << "SMT siblings do not count as cores for scaling";
  b.config_cores = 4;
  EXPECT_EQ(b.UsableCores(), 4);
  b.physical_cores.reset();
  EXPECT_EQ(b.UsableCores(), 4);
  b.run_id = "run_2024-05-01_12-00-00_abc1234_my_label";
  EXPECT_EQ(b.Label(), "my_label");
  b.run_id = "run_2024-05-01_12-00-00_abc1234";
  EXPECT_EQ(b.Label(), "");
}

TEST(BaselineReader, DifferentMachines) {
  Baseline a, b;
  std::string why;
  a.hostname = b.hostname = "h";
  a.cpu_model = b.cpu_model = "cpu";
  EXPECT_FALSE(DifferentMachines(a, b, &why));
  b.cpu_model = "other";
  EXPECT_TRUE(DifferentMachines(a, b, &why));
  EXPECT_NE(why.find("cpu_model"), std::string::npos);
}

}  // namespace
}  // namespace statelab::gates
