// statelab-bench end to end, as a child process: a tiny run writes a baseline.json the harness
// reader accepts (schema_version, repetitions, stats, latency, allocs_per_op, counters for every
// result; durability labels backed by the engine's counters), plus gbench.json; bad flags exit 2.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>

#include "harness/baseline.h"
#include "util/json.h"

namespace statelab::bench {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  int exit_code = -1;
  std::string output;
};

Outcome RunBench(const std::string& args) {
  Outcome o;
  const std::string cmd = std::string(STATELAB_BENCH_BIN) + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return o;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) o.output.append(buf.data(), n);
  const int status = ::pclose(p);
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return o;
}

std::string TempDir(const std::string& tag) {
  auto p =
      fs::temp_directory_path() / ("statelab_benchbin_" + tag + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  return p.string();
}

TEST(BenchBinary, UnknownFlagIsAUsageError) {
  const Outcome o = RunBench("--no-such-flag");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.output.find("unknown flag '--no-such-flag'"), std::string::npos) << o.output;
  EXPECT_EQ(RunBench("--suite enormous").exit_code, 2);
}

TEST(BenchBinary, HelpDocumentsTheFlags) {
  const Outcome o = RunBench("--help");
  EXPECT_EQ(o.exit_code, 0);
  for (const char* flag : {"--engines", "--modes", "--suite", "--tier", "--filter", "--repetitions",
                           "--threads", "--cores", "--seed", "--out"}) {
    EXPECT_NE(o.output.find(flag), std::string::npos) << flag;
  }
}

TEST(BenchBinary, TinyRunWritesABaselineTheReaderAccepts) {
  const std::string out = TempDir("tiny");
  const Outcome o = RunBench(
      "--engines btree --modes inmemory,strict --repetitions 2 --min-time 0.005 "
      "--filter '^(A0/raw/get_uniform|A1/engine/put_direct|B/kv/get|durability/commit/put)/btree/' "
      "--out " +
      out);
  ASSERT_EQ(o.exit_code, 0) << o.output;
  const std::string path = out + "/baseline.json";
  ASSERT_TRUE(fs::exists(path)) << o.output;
  EXPECT_TRUE(fs::exists(out + "/gbench.json"));
  Result<harness::Baseline> read = harness::ReadBaselineFile(path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  const harness::Baseline& b = *read;
  EXPECT_EQ(b.schema_version, harness::kSchemaVersion);
  EXPECT_EQ(b.config.repetitions, 2);
  EXPECT_EQ(b.config.suite, "custom");
  EXPECT_FALSE(b.run_id.empty());
  ASSERT_EQ(b.benchmarks.size(), 1u + 2u * 3u) << o.output;  // A0 (n/a) + 3 per mode
  for (const harness::BenchmarkResult& r : b.benchmarks) {
    SCOPED_TRACE(r.name);
    EXPECT_EQ(r.repetitions.size(), 2u);
    EXPECT_GT(r.stats.median_ns, 0);
    ASSERT_TRUE(r.latency.has_value());
    EXPECT_GT(r.latency->samples, 0);
    EXPECT_GT(r.latency->timer_overhead_ns, 0);
    ASSERT_TRUE(r.allocs_per_op.has_value());
    ASSERT_TRUE(r.bytes_allocated_per_op.has_value());
    EXPECT_TRUE(r.counters.available || !r.counters.reason.empty());
    EXPECT_NE(r.name.find("/" + r.engine + "/" + r.mode), std::string::npos);
    if (r.tier == "A0") {
      EXPECT_EQ(r.mode, "n/a");
      continue;
    }
    ASSERT_TRUE(r.extra.count("file_ops"));
    if (r.mode == "inmemory") {
      EXPECT_EQ(r.extra.at("file_ops"), 0);
    }
    if (r.mode == "strict" && r.op != "get") {
      ASSERT_TRUE(r.extra.count("syncs_per_commit"));
      EXPECT_GT(r.extra.at("syncs_per_commit"), 0);
      EXPECT_LE(r.extra.at("syncs_per_commit"), 1);
    }
  }
  // derived.facade_tax: B kv get over A0 get_uniform (mode n/a pairs with each mode).
  bool b_over_a0 = false;
  for (const harness::FacadeTax& f : b.derived.facade_tax) {
    if (f.kind == "B/A0" && f.op == "get") b_over_a0 = true;
  }
  EXPECT_TRUE(b_over_a0);
  // Written once: a second run into the same folder is refused.
  EXPECT_EQ(RunBench("--filter '^A0/raw/get_uniform/btree/' --out " + out).exit_code, 3);
  fs::remove_all(out);
}

TEST(BenchBinary, SkippedCellsCarryTheirReason) {
  const std::string out = TempDir("skips");
  const Outcome o = RunBench(
      "--engines btree --modes inmemory --tier recovery --filter "
      "'wal/replay|snapshot/load' --repetitions 1 --out " +
      out);
  ASSERT_EQ(o.exit_code, 0) << o.output;
  Result<boost::json::value> doc = util::LoadJsonFile(out + "/baseline.json");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  const boost::json::array& skipped = doc->at("skipped").as_array();
  ASSERT_EQ(skipped.size(), 2u);  // WAL replay and snapshot load: inmemory has no files
  for (const boost::json::value& s : skipped) {
    EXPECT_FALSE(s.at("reason").as_string().empty());
    EXPECT_EQ(s.at("mode").as_string(), "inmemory");
    EXPECT_FALSE(s.at("failed").as_bool());
  }
  fs::remove_all(out);
}

}  // namespace
}  // namespace statelab::bench
