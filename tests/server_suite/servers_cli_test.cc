// statelab-servers as bench_runner.sh runs it: the skip paths (no redis on PATH, no B tier, a
// `statelab serve` that does not start), usage errors, and short end-to-end runs against a real
// redis-server and `statelab serve` (skipped, with the reason, when redis is not installed).

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engines/registry/engine_list.h"
#include "harness/baseline.h"
#include "reports/run_report.h"
#include "tests/cli/child_process.h"
#include "tests/gates/test_util.h"
#include "util/json.h"

namespace statelab::servers {
namespace {

using statelab::testing_util::ReadAll;
using statelab::testing_util::TempDir;
using testing_util::RunOutput;
using testing_util::RunToCompletion;

constexpr char kServers[] = STATELAB_SERVERS_BIN;
constexpr char kStatelab[] = STATELAB_BIN;

bool RedisInstalled() {
  return !reports::FindOnPath("redis-server").empty() &&
         !reports::FindOnPath("redis-cli").empty() &&
         !reports::FindOnPath("redis-benchmark").empty();
}

// Runs statelab-servers with `args` (and `env`, through env(1)); the JSON it wrote.
class ServersRun {
 public:
  ServersRun(std::vector<std::string> args, std::vector<std::string> env = {}) {
    std::vector<std::string> argv = {"/usr/bin/env"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.emplace_back(kServers);
    argv.insert(argv.end(), args.begin(), args.end());
    argv.emplace_back("--out");
    argv.push_back(dir_ / "servers.json");
    result_ = RunToCompletion(argv);
    if (result_.exit_code == 0) {
      json_ = util::ParseJsonExact(ReadAll(dir_ / "servers.json"), "servers.json").value();
    }
  }
  const RunOutput& result() const { return result_; }
  const boost::json::value& json() const { return json_; }
  std::string Log() const { return result_.out + result_.err; }

 private:
  TempDir dir_;
  RunOutput result_;
  boost::json::value json_;
};

void ExpectSkipped(const ServersRun& run, std::string_view reason) {
  ASSERT_EQ(run.result().exit_code, 0) << run.Log();
  EXPECT_FALSE(run.json().at("available").as_bool());
  EXPECT_NE(std::string(run.json().at("reason").as_string()).find(reason), std::string::npos)
      << run.json();
  EXPECT_TRUE(run.json().at("results").as_array().empty());
  EXPECT_NE(run.Log().find("Redis comparison skipped: "), std::string::npos) << run.Log();
}

// Tests redis-benchmark finished within its millisecond clock (tiny counts) are warnings, not
// rows.
size_t TooFastToTime(const std::string& log) {
  size_t n = 0;
  for (size_t at = 0; (at = log.find("too fast to time", at)) != std::string::npos; ++at) ++n;
  return n;
}

size_t Warnings(const std::string& log) {
  size_t n = 0;
  for (size_t at = 0; (at = log.find("WARNING: ", at)) != std::string::npos; ++at) ++n;
  return n;
}

std::vector<std::string> Column(const boost::json::value& rows, std::string_view key) {
  std::vector<std::string> out;
  for (const auto& r : rows.as_array()) out.emplace_back(r.at(key).as_string());
  return out;
}

// The server suite serves every engine of the one list, and says so for the fourth-engine test.
TEST(ServersCli, ListEnginesPrintsAllEngines) {
  const RunOutput r = RunToCompletion({kServers, "--list-engines"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string expected;
  for (std::string_view n : AllEngines::names) expected += std::string(n) + "\n";
  EXPECT_EQ(r.out, expected);
}

TEST(ServersCli, RedisNotOnPathIsASkipWithTheReason) {
  ServersRun run({"--suite", "server"}, {"PATH=/nonexistent"});
  ExpectSkipped(run, "redis-server, redis-cli or redis-benchmark is not installed");
}

TEST(ServersCli, RunWithoutTierBIsASkip) {
  if (!RedisInstalled()) GTEST_SKIP() << "redis-server / redis-benchmark not installed";
  ServersRun run({"--suite", "quick", "--tier", "A0,A1"});
  ExpectSkipped(run, "the run has no B-tier kv get/put to compare with");
}

TEST(ServersCli, UsageErrors) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--modes", "fast"},
                                             {"--tests", "lpush"},
                                             {"--pipelines", "1,zero"},
                                             {"--clients", "1,0"},
                                             {"--requests", "0"},
                                             {"--suite", "nightly"},
                                             {"--bogus"}}) {
    ServersRun run(args);
    EXPECT_EQ(run.result().exit_code, 2) << args[0] << ": " << run.Log();
  }
  ServersRun bad_env({}, {"STATELAB_MEMORY_KEYS=lots"});
  EXPECT_EQ(bad_env.result().exit_code, 2);
  EXPECT_NE(bad_env.Log().find("STATELAB_MEMORY_KEYS: 'lots'"), std::string::npos);
  const RunOutput no_out = RunToCompletion({kServers});
  EXPECT_EQ(no_out.exit_code, 2);
  EXPECT_NE(no_out.err.find("--out FILE is required"), std::string::npos) << no_out.err;
}

TEST(ServersCli, StatelabThatDoesNotStartIsAWarning) {
  if (!RedisInstalled()) GTEST_SKIP() << "redis-server / redis-benchmark not installed";
  ServersRun run({"--suite", "server", "--statelab", "/bin/false", "--modes", "inmemory", "--tests",
                  "set", "--pipelines", "1", "--clients", "1", "--requests", "2000",
                  "--memory-keys", "100"});
  ASSERT_EQ(run.result().exit_code, 0) << run.Log();
  EXPECT_NE(run.Log().find("WARNING: statelab serve (btree, inmemory) did not start"),
            std::string::npos)
      << run.Log();
  EXPECT_NE(run.Log().find("WARNING: statelab serve (btree, inmemory) exited 1"), std::string::npos)
      << run.Log();
  // Redis was measured all the same (2000 requests one at a time take well over a millisecond).
  EXPECT_TRUE(run.json().at("available").as_bool()) << run.Log();
  EXPECT_EQ(Column(run.json().at("results"), "server"), std::vector<std::string>{"redis"});
  EXPECT_EQ(Column(run.json().at("memory"), "server"), std::vector<std::string>{"redis"});

  ServersRun missing({"--suite", "server", "--statelab", "/nonexistent/statelab", "--modes",
                      "inmemory", "--tests", "get", "--pipelines", "1", "--clients", "1",
                      "--requests", "1000", "--memory-keys", "100"});
  EXPECT_NE(missing.Log().find("did not start: io_error: cannot execute /nonexistent/statelab"),
            std::string::npos)
      << missing.Log();
}

// The quick suite's comparison: redis-server only, SET and GET at pipeline 1 and 16.
TEST(ServersCli, QuickSuiteMeasuresRedisOnly) {
  if (!RedisInstalled()) GTEST_SKIP() << "redis-server / redis-benchmark not installed";
  ServersRun run({"--suite", "quick", "--engines", "btree", "--modes", "inmemory", "--tier", "A1,B",
                  "--requests", "1000", "--statelab", kStatelab});
  ASSERT_EQ(run.result().exit_code, 0) << run.Log();
  const boost::json::value& j = run.json();
  EXPECT_TRUE(j.at("available").as_bool()) << j;
  EXPECT_EQ(j.at("suite").as_string(), "quick");
  EXPECT_FALSE(std::string(j.at("version").as_string()).empty());
  const boost::json::array& results = j.at("results").as_array();
  EXPECT_EQ(results.size() + TooFastToTime(run.Log()), 4u) << run.Log();
  EXPECT_EQ(Warnings(run.Log()), TooFastToTime(run.Log())) << run.Log();
  for (const auto& r : results) {
    EXPECT_EQ(r.at("server").as_string(), "redis");
    EXPECT_EQ(r.at("persistence").as_string(), "appendonly no");
  }
  // 1000 requests one at a time take well over a millisecond.
  ASSERT_GE(results.size(), 2u);
  EXPECT_EQ(results[0].at("op").as_string(), "set");
  EXPECT_EQ(results[1].at("op").as_string(), "get");
  EXPECT_EQ(results[1].at("pipeline").as_int64(), 1);
  EXPECT_TRUE(j.at("memory").as_array().empty());
}

// Every engine of AllEngines under `statelab serve` next to redis-server, two modes, tiny counts,
// 4 and 8 concurrent clients against 2 server threads, the redis-benchmark tests and MULTI/EXEC
// (not 1 client: strict's one fdatasync per request would make it the test's slowest part).
TEST(ServersCli, ServerSuiteEndToEnd) {
  if (!RedisInstalled()) GTEST_SKIP() << "redis-server / redis-benchmark not installed";
  ServersRun run({"--suite", "server", "--engines", "all,rocksdb", "--modes", "inmemory,strict",
                  "--tests", "set,get,incr,mset,multi", "--pipelines", "1,16", "--requests", "512",
                  "--clients", "4,8", "--serve-threads", "2", "--memory-keys", "1000",
                  "--statelab", kStatelab});
  ASSERT_EQ(run.result().exit_code, 0) << run.Log();
  const std::string log = run.Log();
  EXPECT_EQ(Warnings(log), TooFastToTime(log)) << log;
  EXPECT_NE(log.find("not served: rocksdb"), std::string::npos) << log;
  const boost::json::value& j = run.json();
  ASSERT_TRUE(j.at("available").as_bool()) << j;
  EXPECT_EQ(j.at("suite").as_string(), "server");

  const size_t servers = 1 + AllEngines::size, modes = 2, pipelines = 2, clients = 2, tests = 5;
  const boost::json::array& results = j.at("results").as_array();
  EXPECT_EQ(results.size() + TooFastToTime(log), servers * modes * pipelines * clients * tests)
      << log;
  // "engine mode" of every statelab row at pipeline 1 with 4 clients.
  std::vector<std::string> served;
  size_t multi = 0, eight_clients = 0;
  for (const auto& v : results) {
    const boost::json::object& r = v.as_object();
    EXPECT_GT(r.at("ops_per_sec").to_number<double>(), 0) << r;
    EXPECT_GT(r.at("p50_ns").as_int64(), 0) << r;
    EXPECT_GE(r.at("p99_ns").as_int64(), r.at("p50_ns").as_int64()) << r;
    EXPECT_EQ(r.at("requests").as_int64(), 512);
    eight_clients += r.at("clients").as_int64() == 8 ? 1 : 0;
    multi += r.at("op").as_string() == "multi" ? 1 : 0;
    const std::string mode(r.at("mode").as_string());
    if (r.at("server").as_string() == "redis") {
      EXPECT_EQ(r.at("engine").as_string(), "");
      EXPECT_EQ(r.at("persistence").as_string(),
                mode == "strict" ? "appendonly yes, appendfsync always" : "appendonly no");
    } else {
      EXPECT_EQ(r.at("persistence").as_string(), "statelab serve --mode " + mode);
      if (r.at("pipeline").as_int64() == 1 && r.at("clients").as_int64() == 4) {
        served.push_back(std::string(r.at("engine").as_string()) + " " + mode);
      }
    }
  }
  // The MULTI/EXEC client times in ns: every server, mode, depth and client count has its row.
  EXPECT_EQ(multi, servers * modes * pipelines * clients);
  EXPECT_GE(eight_clients, servers * modes * pipelines);  // at least the multi rows
  // 512 requests over 4 clients at pipeline 1 take well over a millisecond: every engine has its
  // rows (with 8 clients a fast one may finish within redis-benchmark's millisecond).
  for (std::string_view e : AllEngines::names) {
    for (const char* mode : {"inmemory", "strict"}) {
      EXPECT_EQ(std::count(served.begin(), served.end(), std::string(e) + " " + mode), tests) << e;
    }
  }
  // Memory per key: inmemory only, every server.
  const boost::json::array& memory = j.at("memory").as_array();
  ASSERT_EQ(memory.size(), servers);
  for (const auto& m : memory) {
    EXPECT_EQ(m.at("keys").as_int64(), 1000);
    EXPECT_EQ(m.at("value_bytes").as_int64(), 3);
    EXPECT_GT(m.at("rss_before_bytes").as_int64(), 0);
  }

  // It is exactly what statelab-report --attach-servers accepts.
  TempDir dir;
  harness::Baseline baseline;
  baseline.run_id = "run_e2e";
  ASSERT_TRUE(harness::WriteBaselineFile(baseline, dir / "baseline.json").ok());
  ASSERT_TRUE(harness::AttachServers(dir / "baseline.json", j.as_object()).ok());
  EXPECT_EQ(harness::ReadBaselineFile(dir / "baseline.json").value().servers, j.as_object());
}

}  // namespace
}  // namespace statelab::servers
