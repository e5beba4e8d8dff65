// The pieces of statelab-servers in-process: redis-benchmark CSV parsing, the `servers` JSON
// (escaping, the strict baseline.json reader), the options, and the child-process helpers.

#include "tools/server_suite/server_suite.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "engines/registry/engine_list.h"
#include "harness/baseline.h"
#include "tests/gates/test_util.h"
#include "tools/server_suite/multi_exec_load.h"
#include "tools/server_suite/process.h"
#include "tools/server_suite/redis_benchmark_csv.h"
#include "tools/server_suite/servers_json.h"
#include "util/json.h"

namespace statelab::servers {
namespace {

using statelab::testing_util::Fixture;
using statelab::testing_util::ReadAll;
using statelab::testing_util::TempDir;
using std::chrono::milliseconds;
using Records = std::vector<std::vector<std::string>>;

// --------------------------------------------------------------------------------- CSV

// Captured from redis-benchmark 7.0.15: -t set,get,incr,mset -n 2000 -c 1 -P 16 --csv.
TEST(RedisBenchmarkCsv, RealOutputWithHeader) {
  Result<std::vector<BenchmarkRow>> rows =
      ParseRedisBenchmarkCsv(ReadAll(Fixture("server_suite/redis_benchmark_7.0_pipeline16.csv")));
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 4u);  // the header is not a row
  const BenchmarkRow& set = (*rows)[0];
  EXPECT_EQ(set.test, "SET");
  EXPECT_EQ(set.op, "set");
  EXPECT_EQ(set.ops_per_sec, 400000.00);
  EXPECT_EQ(set.p50_ms, 0.039);
  EXPECT_EQ(set.p99_ms, 0.119);
  EXPECT_EQ((*rows)[1].op, "get");
  EXPECT_EQ((*rows)[1].ops_per_sec, 499999.97);
  EXPECT_EQ((*rows)[2].op, "incr");
  const BenchmarkRow& mset = (*rows)[3];
  EXPECT_EQ(mset.test, "MSET (10 keys)");
  EXPECT_EQ(mset.op, "mset");
  EXPECT_EQ(mset.ops_per_sec, 74074.07);
  EXPECT_EQ(mset.p99_ms, 3.151);
}

TEST(RedisBenchmarkCsv, ColumnsAreFoundByName) {
  Result<std::vector<BenchmarkRow>> rows = ParseRedisBenchmarkCsv(
      "\"test\",\"p99_latency_ms\",\"rps\",\"p50_latency_ms\"\r\n\"GET\",\"0.5\",\"100\",\"0."
      "25\"\r\n");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].ops_per_sec, 100);
  EXPECT_EQ((*rows)[0].p50_ms, 0.25);
  EXPECT_EQ((*rows)[0].p99_ms, 0.5);
}

TEST(RedisBenchmarkCsv, WithoutHeaderOnlyTestAndRps) {
  // redis-benchmark before 6.2: no header, no latencies.
  Result<std::vector<BenchmarkRow>> rows =
      ParseRedisBenchmarkCsv("\"SET\",\"96153.85\"\n\"GET\",\"98039.22\"\n");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[1].op, "get");
  EXPECT_EQ((*rows)[1].ops_per_sec, 98039.22);
  EXPECT_FALSE((*rows)[1].p50_ms.has_value());
  EXPECT_FALSE((*rows)[1].p99_ms.has_value());
}

// redis-benchmark prints rps "inf" when a test finished within its millisecond clock.
TEST(RedisBenchmarkCsv, InfiniteRateIsReadAsSuch) {
  Result<std::vector<BenchmarkRow>> rows = ParseRedisBenchmarkCsv(
      "\"test\",\"rps\",\"p50_latency_ms\",\"p99_latency_ms\"\n\"SET\",\"inf\",\"0.087\","
      "\"0.087\"\n");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_TRUE(std::isinf((*rows)[0].ops_per_sec));
  EXPECT_FALSE(ParseRedisBenchmarkCsv("\"SET\",\"nan\"\n").ok());
  EXPECT_FALSE(ParseRedisBenchmarkCsv("\"SET\",\"-1\"\n").ok());
}

TEST(RedisBenchmarkCsv, EmptyOutputHasNoRows) {
  Result<std::vector<BenchmarkRow>> rows = ParseRedisBenchmarkCsv("");
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(rows->empty());
}

TEST(RedisBenchmarkCsv, MalformedOutputIsAnError) {
  auto message = [](std::string_view text) {
    Result<std::vector<BenchmarkRow>> r = ParseRedisBenchmarkCsv(text);
    EXPECT_FALSE(r.ok()) << text;
    return r.ok() ? std::string() : std::string(r.error().message());
  };
  EXPECT_NE(
      message("\"test\",\"rps\"\n\"SET\",\"fast\"\n").find("(SET): rps 'fast' is not a number"),
      std::string::npos);
  EXPECT_NE(message("\"test\",\"rps\"\n\"SET\",\"\"\n").find("rps '' is not a number"),
            std::string::npos);
  EXPECT_NE(message("\"test\",\"avg\"\n\"SET\",\"1\"\n").find("no rps column"), std::string::npos);
  EXPECT_NE(
      message("\"test\",\"rps\",\"p50_latency_ms\"\n\"SET\",\"1\"\n").find("2 fields, expected 3"),
      std::string::npos);
  EXPECT_NE(message("\"SET\",\"1\n").find("unterminated quoted field"), std::string::npos);
}

TEST(Csv, QuotingRules) {
  Result<Records> r =
      ParseCsv("\"a,b\",\"say \"\"hi\"\"\",plain\r\n\n\"multi\nline\",,\"\"\nlast,\"\"");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (Records{{"a,b", "say \"hi\"", "plain"}, {"multi\nline", "", ""}, {"last", ""}}));
}

TEST(Csv, ErrorsNameTheLine) {
  Result<Records> r = ParseCsv("a,b\n\"x\"y,z\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "csv line 2: text after a closing quote");
  r = ParseCsv("a\nb\n\"open,\nstill open\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "csv line 3: unterminated quoted field");
}

// -------------------------------------------------------------------------------- JSON

TEST(ServersJson, OddStringsAreEscapedAndReadBack) {
  ServersReport report;
  report.available = true;
  report.version = "7.0.15 \"quoted\"";
  report.suite = "server";
  ServerResult row;
  row.server = "statelab";
  row.engine = "back\\slash";
  row.op = "set";
  row.mode = "inmemory";
  row.persistence = "tab\there, newline\nthere, bell\x07, nul-free \x01 control, caf\xC3\xA9";
  row.pipeline = 16;
  row.requests = 100;
  row.ops_per_sec = 1234.5;
  row.p50_ns = 31000;
  report.results.push_back(row);
  const std::string text = util::PrettyJson(ToJson(report));
  EXPECT_NE(text.find(R"("7.0.15 \"quoted\"")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("back\\slash")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(tab\there, newline\nthere, bell\u0007)"), std::string::npos) << text;

  const boost::json::value back = util::ParseJsonExact(text, "mem").value();
  const boost::json::object& r = back.at("results").at(0).as_object();
  EXPECT_EQ(r.at("engine").as_string(), row.engine);
  EXPECT_EQ(r.at("persistence").as_string(), row.persistence);
  EXPECT_EQ(r.at("p50_ns").as_int64(), 31000);
  EXPECT_TRUE(r.at("p99_ns").is_null());
  EXPECT_EQ(back.at("version").as_string(), report.version);
}

TEST(ServersJson, InvalidUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(ValidUtf8("ok \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "ok \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(ValidUtf8("a\xFF"
                      "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(ValidUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong
  EXPECT_EQ(ValidUtf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(ValidUtf8("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // truncated

  ServersReport report;
  report.reason = "statelab serve did not start: \xFF\xFE garbage on stderr";
  const boost::json::value back =
      util::ParseJsonExact(util::PrettyJson(ToJson(report)), "mem").value();
  EXPECT_EQ(back.at("reason").as_string(),
            "statelab serve did not start: \xEF\xBF\xBD\xEF\xBF\xBD garbage on stderr");
}

TEST(ServersJson, SkippedReportHasOnlyTheReason) {
  ServersReport report;
  report.reason = "redis-server is not installed";
  report.version = "ignored";
  EXPECT_EQ(boost::json::serialize(ToJson(report)),
            R"({"available":false,"reason":"redis-server is not installed","results":[]})");
}

// The file passes the strict reader statelab-report --attach-servers uses.
TEST(ServersJson, FileAttachesToABaseline) {
  TempDir dir;
  harness::Baseline baseline;
  baseline.run_id = "run_test";
  const std::string baseline_path = dir / "baseline.json";
  ASSERT_TRUE(harness::WriteBaselineFile(baseline, baseline_path).ok());

  ServersReport report;
  report.available = true;
  report.version = "7.0.15";
  report.suite = "server";
  report.results.push_back(
      {"redis", "", "get", "inmemory", "appendonly no", 1, 16, 50000, 800000, 15000, 30000});
  report.results.push_back({"statelab", "btree", "mset", "strict", "statelab serve --mode strict",
                            1, 1, 500, 900.5, std::nullopt, std::nullopt});
  report.memory.push_back({"redis", "", 1000, 3, 8 << 20, 9 << 20, 1048.6, 56.2});
  const std::string path = dir / "servers.json";
  ASSERT_TRUE(WriteServersFile(report, path).ok());
  const boost::json::value servers = util::ParseJsonExact(ReadAll(path), path).value();
  ASSERT_TRUE(harness::AttachServers(baseline_path, servers.as_object()).ok());
  const harness::Baseline back = harness::ReadBaselineFile(baseline_path).value();
  EXPECT_EQ(back.servers, servers.as_object());
  EXPECT_EQ(back.servers.at("results").at(1).at("ops_per_sec").as_double(), 900.5);
  EXPECT_EQ(back.servers.at("memory").at(0).at("rss_bytes_per_key").as_double(), 1048.6);

  EXPECT_FALSE(WriteServersFile(report, dir / "no/such/dir/servers.json").ok());
}

// ----------------------------------------------------------------------------- options

TEST(SuiteOptions, Validation) {
  EXPECT_TRUE(ValidateOptions({}).ok());
  SuiteOptions o;
  o.suite = "nightly";
  EXPECT_EQ(ValidateOptions(o).message(),
            "--suite: 'nightly' is not quick, standard, full or server");
  o = {};
  o.modes = {"inmemory", "fast"};
  EXPECT_EQ(ValidateOptions(o).message(), "--modes: 'fast' is not inmemory, buffered or strict");
  o = {};
  o.tests = {"set", "lpush"};
  EXPECT_EQ(ValidateOptions(o).message(), "--tests: 'lpush' is not set, get, incr, mset or multi");
  o.tests = {"multi"};
  EXPECT_TRUE(ValidateOptions(o).ok());
  o = {};
  o.pipelines = {1, 0};
  EXPECT_FALSE(ValidateOptions(o).ok());
  o = {};
  o.clients = {1, 0};
  EXPECT_EQ(ValidateOptions(o).message(), "--clients: every count must be at least 1");
  o = {};
  o.serve_threads = 0;
  EXPECT_EQ(ValidateOptions(o).message(), "--serve-threads: must be at least 1");
}

TEST(SuiteOptions, ServedEnginesComeFromAllEngines) {
  SuiteOptions o;
  std::vector<std::string> not_served;
  EXPECT_TRUE(ServedEngines(o, &not_served).empty());  // the quick suite serves none
  o.suite = "server";
  EXPECT_EQ(ServedEngines(o, &not_served), std::vector<std::string>{"btree"});
  o.engines = {"all"};
  const std::vector<std::string> all(AllEngines::names.begin(), AllEngines::names.end());
  EXPECT_EQ(ServedEngines(o, &not_served), all);
  EXPECT_TRUE(not_served.empty());
  o.engines = {"sharded", "null", "rocksdb", "sharded"};
  EXPECT_EQ(ServedEngines(o, &not_served), std::vector<std::string>{"sharded"});
  EXPECT_EQ(not_served, (std::vector<std::string>{"null", "rocksdb"}));
}

TEST(SuiteOptions, RequestCounts) {
  SuiteOptions o;
  EXPECT_EQ(RequestCount(o, "inmemory", 1, 1), 50000);
  EXPECT_EQ(RequestCount(o, "strict", 16, 1), 2000);
  o.suite = "server";
  EXPECT_EQ(RequestCount(o, "buffered", 1, 1), 20000);
  EXPECT_EQ(RequestCount(o, "buffered", 16, 1), 50000);
  EXPECT_EQ(RequestCount(o, "buffered", 64, 1), 100032);  // whole batches of 64
  EXPECT_EQ(RequestCount(o, "strict", 1, 1), 500);
  EXPECT_EQ(RequestCount(o, "strict", 16, 1), 4000);
  EXPECT_EQ(RequestCount(o, "strict", 64, 1), 10048);
  EXPECT_EQ(RequestCount(o, "inmemory", 1, 50), 100000);  // many clients: five times as many
  EXPECT_EQ(RequestCount(o, "strict", 16, 2), 20000);
  o.requests = 7;
  EXPECT_EQ(RequestCount(o, "strict", 1, 1), 7);
  EXPECT_EQ(RequestCount(o, "strict", 64, 1), 64);
  EXPECT_EQ(RequestCount(o, "strict", 64, 50), 64);  // --requests is taken as given
}

// ------------------------------------------------------------------------- MULTI/EXEC load

TEST(MultiExecLoad, ReplyLength) {
  EXPECT_EQ(ReplyLength(""), 0);
  EXPECT_EQ(ReplyLength("+OK\r"), 0);
  EXPECT_EQ(ReplyLength("+OK\r\n+QUEUED\r\n"), 5);
  EXPECT_EQ(ReplyLength(":12\r\n"), 5);
  EXPECT_EQ(ReplyLength("-ERR no\r\n"), 9);
  EXPECT_EQ(ReplyLength("$3\r\nab"), 0);
  EXPECT_EQ(ReplyLength("$3\r\nabc\r\n"), 9);
  EXPECT_EQ(ReplyLength("$-1\r\n"), 5);
  EXPECT_EQ(ReplyLength("*-1\r\n"), 5);  // EXEC after a WATCHed key changed
  EXPECT_EQ(ReplyLength("*2\r\n+OK\r\n:"), 0);
  EXPECT_EQ(ReplyLength("*2\r\n+OK\r\n:1\r\n+PONG\r\n"), 13);
  EXPECT_EQ(ReplyLength("*1\r\n*1\r\n$1\r\nx\r\n"), 15);
  EXPECT_EQ(ReplyLength("$3\r\nabcd\r\n"), -1);
  EXPECT_EQ(ReplyLength("$x\r\n"), -1);
  EXPECT_EQ(ReplyLength("?\r\n"), -1);
}

TEST(MultiExecLoad, NoServerIsAnError) {
  const std::optional<int> port = FindFreePort(20000, 32767, 50);
  ASSERT_TRUE(port);
  MultiExecLoad load;
  load.port = *port;
  load.transactions = 10;
  const Result<MultiExecFigures> r = RunMultiExecLoad(load);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().ToString().find("connect to port"), std::string::npos)
      << r.status().ToString();
}

// ---------------------------------------------------------------------------- processes

TEST(Process, RunFeedsStdinAndCapturesStdout) {
  Result<Captured> r = servers::Run({"/bin/cat"}, "hello\nworld\n", milliseconds(10000));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_FALSE(r->timed_out);
  EXPECT_EQ(r->out, "hello\nworld\n");
  // More than a pipe holds, both ways at once.
  const std::string big(1 << 20, 'x');
  r = servers::Run({"/bin/cat"}, big, milliseconds(10000));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, big);
}

TEST(Process, RunReportsExitCodesAndTimeouts) {
  Result<Captured> r =
      servers::Run({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, {}, milliseconds(10000));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, "out\n");  // stderr is not captured
  const auto start = std::chrono::steady_clock::now();
  r = servers::Run({"/bin/sleep", "30"}, {}, milliseconds(200));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->exit_code, 128 + SIGKILL);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(Process, MissingProgramIsAnError) {
  Result<Captured> r = servers::Run({"/nonexistent/redis-benchmark"}, {}, milliseconds(1000));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().ToString(),
            "io_error: cannot execute /nonexistent/redis-benchmark: No such file or directory");
  EXPECT_FALSE(Process::Start({"/nonexistent/statelab"}, {}).ok());
}

TEST(Process, LongRunningChildWritesFilesAndStops) {
  TempDir dir;
  Result<Process> p = Process::Start({"/bin/sh", "-c", "echo started; exec sleep 30"},
                                     {dir / "out.txt", dir / "err.txt"});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_FALSE(p->TryWait().has_value());
  EXPECT_GT(RssBytes(p->pid()).value_or(0), 0);
  EXPECT_FALSE(p->WaitFor(milliseconds(50)).has_value());
  EXPECT_EQ(p->Stop(milliseconds(5000)), 128 + SIGTERM);
  EXPECT_EQ(ReadAll(dir / "out.txt"), "started\n");
}

TEST(Process, FindFreePortSkipsTakenPorts) {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(s, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int taken = ntohs(addr.sin_port);
  EXPECT_FALSE(FindFreePort(taken, taken, 5).has_value());
  const std::optional<int> free = FindFreePort(20000, 60000, 50);
  ASSERT_TRUE(free.has_value());
  EXPECT_GE(*free, 20000);
  EXPECT_LE(*free, 60000);
  ::close(s);
}

}  // namespace
}  // namespace statelab::servers
