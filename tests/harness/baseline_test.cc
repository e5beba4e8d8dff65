#include "harness/baseline.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "harness/derived.h"
#include "harness/histogram.h"
#include "util/json.h"

namespace statelab::harness {
namespace {

namespace json = boost::json;

BenchmarkResult Bench(const std::string& tier, const std::string& group, const std::string& op,
                      const std::string& engine, const std::string& mode, int64_t threads,
                      const std::vector<double>& ns_per_op) {
  BenchmarkResult b;
  b.tier = tier;
  b.group = group;
  b.op = op;
  b.engine = engine;
  b.mode = mode;
  b.threads = threads;
  b.name = tier + "/" + group + "/" + op + "/" + engine + "/" + mode;
  for (double ns : ns_per_op) {
    b.repetitions.push_back({ns, 1e9 / ns * static_cast<double>(threads), 1000});
  }
  b.stats = ComputeStats(b.repetitions).value();
  return b;
}

Baseline FullBaseline() {
  Baseline b;
  b.run_id = "run_2024-05-01_12-00-00_abcdef012345_label";
  b.created_utc = "2024-05-01T12:00:00Z";
  b.git = {"abcdef0123456789abcdef0123456789abcdef01", "main", false};
  b.environment = json::object{{"hostname", "box"},
                               {"cpu", json::object{{"model", "X"}, {"cores", 8}}},
                               {"warnings", json::array{"SMT is on"}}};
  b.config = {"quick",
              {"btree", "sharded", "rocksdb"},
              {{"btree", "engine"}, {"sharded", "engine"}, {"rocksdb", "peer"}},
              {"buffered", "strict"},
              5,
              18'000'000'000'000'000'000ull,
              2};

  BenchmarkResult full = Bench("B", "kv", "get", "btree", "strict", 1, {101.5, 99.25, 100.125});
  full.name += "/n=1000";
  full.params = {{"n", 1000.0}, {"dist", std::string("zipfian")}, {"theta", 0.99}};
  full.latency = Latency{95, 130, 150, 400.5, 1200, 50'000, 123'456, 21.75, {}};
  full.allocs_per_op = 0.0;
  full.bytes_allocated_per_op = 0.0;
  full.counters.available = true;
  full.counters.instructions_per_op = 812.5;
  full.counters.cycles_per_op = 300.0;
  full.counters.ipc = 812.5 / 300.0;
  full.counters.branch_misses_per_op = 0.1;
  full.counters.l1d_misses_per_op = 3.0;
  full.counters.llc_misses_per_op = 0.02;
  full.counters.task_clock_ns_per_op = 101.0;
  full.counters.context_switches = 4;
  full.counters.page_faults = 0;
  full.counters.hw_running_fraction = 1.0;
  full.extra = {{"aborts", 0}, {"retries", 2}, {"fairness", 0.97}};
  full.pinning = {true,
                  "",
                  {{0, 0, 0, false, {{0, 40}, {1, 2}}}},
                  "the calling thread (harness thread 0)",
                  {{"sn-owner-1", 4242, 1, 12.5}}};

  // Sparse: one repetition, nothing optional measured.
  BenchmarkResult sparse = Bench("D", "disjoint", "put", "sharded", "n/a", 2, {250.0});
  sparse.counters.available = false;
  sparse.counters.reason = "perf_event_open(instructions): No such file or directory (errno 2)";
  sparse.pinning = {false, "no topology", {}, "", {}};

  b.benchmarks = {full, sparse};
  b.derived.facade_tax.push_back({"B/A1", "kv_get", "btree", "strict", "B/kv/get/btree/strict",
                                  "A1/engine/get_direct/btree/strict", 100.125, 50.0, 2.0025});
  b.derived.scaling.push_back(
      {"D", "disjoint", "put", "sharded", "n/a", {{"keys", 100.0}}, 2, 1e6, 1.8e6, 1.8, 0.9});
  return b;
}

TEST(BaselineTest, WriterOutputRoundTripsThroughReader) {
  const Baseline original = FullBaseline();
  const std::string text = util::PrettyJson(ToJson(original));
  const Baseline back = ParseBaseline(text, "mem.json").value();
  EXPECT_EQ(back, original);
  // Stable: writing what was read gives the same bytes.
  EXPECT_EQ(util::PrettyJson(ToJson(back)), text);
}

TEST(BaselineTest, DoublesRoundTripExactly) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> mant(1.0, 10.0);
  std::uniform_int_distribution<int> exp(-12, 15);
  Baseline b = FullBaseline();
  BenchmarkResult& r = b.benchmarks[0];
  r.repetitions.clear();
  for (int i = 0; i < 2000; ++i) {
    const double v = mant(rng) * std::pow(10.0, exp(rng));
    r.repetitions.push_back({v, 1.0 / v, i});
  }
  r.stats = ComputeStats(r.repetitions).value();
  const Baseline back = ParseBaseline(util::PrettyJson(ToJson(b)), "mem.json").value();
  ASSERT_EQ(back.benchmarks[0].repetitions.size(), r.repetitions.size());
  for (size_t i = 0; i < r.repetitions.size(); ++i) {
    ASSERT_EQ(back.benchmarks[0].repetitions[i], r.repetitions[i]) << i;
  }
}

TEST(BaselineTest, OptionalValuesAreWrittenAsNullNotZero) {
  const json::value v = ToJson(FullBaseline());
  const json::object& sparse = v.at("benchmarks").at(1).as_object();
  EXPECT_TRUE(sparse.at("latency").is_null());
  EXPECT_TRUE(sparse.at("allocs_per_op").is_null());
  EXPECT_TRUE(sparse.at("stats").at("stddev_ns").is_null());
  EXPECT_TRUE(sparse.at("counters").at("instructions_per_op").is_null());
  const json::object& full = v.at("benchmarks").at(0).as_object();
  EXPECT_EQ(full.at("allocs_per_op").to_number<double>(), 0.0);
}

TEST(BaselineTest, FileWriteReadAndWriteOnce) {
  const std::string dir = testing::TempDir() + "/baseline_test_" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/baseline.json";
  std::filesystem::remove(path);
  const Baseline original = FullBaseline();
  ASSERT_TRUE(WriteBaselineFile(original, path).ok());
  EXPECT_EQ(ReadBaselineFile(path).value(), original);
  const Status again = WriteBaselineFile(original, path);  // Written once.
  EXPECT_EQ(again.code(), Code::kIOError);
  EXPECT_NE(again.message().find(path + ": cannot create (exists or not writable)"),
            std::string::npos)
      << again.ToString();
  EXPECT_EQ(ReadBaselineFile(dir + "/none.json").status().code(), Code::kIOError);
  std::filesystem::remove_all(dir);
}

// The message of the InvalidArgument ParseBaseline gives for `text`; "" when it accepts it.
std::string ErrorOf(const std::string& text, const std::string& source = "x.json") {
  const Result<Baseline> b = ParseBaseline(text, source);
  if (b.ok()) return "";
  EXPECT_EQ(b.error().code(), Code::kInvalidArgument) << b.error().ToString();
  return std::string(b.error().message());
}

// Serializes FullBaseline() after `edit` changed its JSON.
template <typename Edit>
std::string Edited(Edit edit) {
  json::value v = ToJson(FullBaseline());
  edit(v.as_object());
  return json::serialize(v);
}

TEST(BaselineReaderTest, RejectsMalformedJson) {
  const std::string e = ErrorOf("{\"schema_version\": \"1\",", "results/r/baseline.json");
  EXPECT_NE(e.find("results/r/baseline.json"), std::string::npos) << e;
  EXPECT_NE(e.find("malformed JSON"), std::string::npos) << e;
  EXPECT_NE(ErrorOf("[1, 2]").find("expected object"), std::string::npos);
}

TEST(BaselineReaderTest, MalformedJsonNamesLineAndColumn) {
  std::string e = ErrorOf("{\n  \"run_id\": \"r\",\n  \"git\": nul\n}", "r.json");
  EXPECT_NE(e.find("r.json: malformed JSON at line 3, column "), std::string::npos) << e;
  e = ErrorOf("{} extra", "r.json");
  EXPECT_NE(e.find("r.json: malformed JSON at line 1, column 4: "), std::string::npos) << e;
  e = ErrorOf(" \n\t", "empty.json");
  EXPECT_NE(e.find("empty.json: malformed JSON: no JSON document"), std::string::npos) << e;
}

TEST(BaselineReaderTest, RejectsUnknownSchemaVersion) {
  const std::string e = ErrorOf(Edited([](json::object& o) { o["schema_version"] = "2"; }));
  EXPECT_NE(e.find("x.json: schema_version"), std::string::npos) << e;
  EXPECT_NE(e.find("\"2\""), std::string::npos) << e;
}

TEST(BaselineReaderTest, MissingFieldsAreNamed) {
  struct Case {
    std::function<void(json::object&)> edit;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](json::object& o) { o.erase("run_id"); }, "run_id"},
      {[](json::object& o) { o.erase("derived"); }, "derived"},
      {[](json::object& o) { o["git"].as_object().erase("dirty"); }, "git.dirty"},
      {[](json::object& o) { o["config"].as_object().erase("seed"); }, "config.seed"},
      {[](json::object& o) { o["benchmarks"].as_array()[1].as_object().erase("mode"); },
       "benchmarks[1].mode"},
      {[](json::object& o) {
         o["benchmarks"].as_array()[0].as_object()["stats"].as_object().erase("median_ns");
       },
       "benchmarks[0].stats.median_ns"},
      {[](json::object& o) {
         o["benchmarks"].as_array()[0].as_object()["latency"].as_object().erase("p99_ns");
       },
       "benchmarks[0].latency.p99_ns"},
      {[](json::object& o) {
         o["benchmarks"].as_array()[0].as_object()["repetitions"].as_array()[2].as_object().erase(
             "iterations");
       },
       "benchmarks[0].repetitions[2].iterations"},
      {[](json::object& o) {
         o["benchmarks"].as_array()[0].as_object()["counters"].as_object().erase("ipc");
       },
       "benchmarks[0].counters.ipc"},
      {[](json::object& o) {
         o["derived"].as_object()["scaling"].as_array()[0].as_object().erase("speedup");
       },
       "derived.scaling[0].speedup"},
  };
  for (const Case& c : cases) {
    const std::string e = ErrorOf(Edited(c.edit));
    EXPECT_NE(e.find("x.json: " + c.field + ": missing"), std::string::npos)
        << "field " << c.field << " message: " << e;
  }
}

TEST(BaselineReaderTest, WrongTypesAreNamed) {
  std::string e = ErrorOf(Edited(
      [](json::object& o) { o["benchmarks"].as_array()[0].as_object()["threads"] = "one"; }));
  EXPECT_NE(e.find("benchmarks[0].threads: expected integer, got string"), std::string::npos) << e;
  e = ErrorOf(Edited([](json::object& o) {
    o["benchmarks"].as_array()[0].as_object()["stats"].as_object()["mean_ns"] = nullptr;
  }));
  EXPECT_NE(e.find("benchmarks[0].stats.mean_ns: expected number, got null"), std::string::npos)
      << e;
  e = ErrorOf(Edited([](json::object& o) {
    o["benchmarks"].as_array()[0].as_object()["repetitions"] = json::array();
  }));
  EXPECT_NE(e.find("benchmarks[0].repetitions: must hold at least one"), std::string::npos) << e;
  e = ErrorOf(Edited([](json::object& o) {
    o["benchmarks"].as_array()[0].as_object()["extra"].as_object()["aborts"] = "many";
  }));
  EXPECT_NE(e.find("benchmarks[0].extra.aborts"), std::string::npos) << e;
}

json::object Servers() {
  return json::object{{"available", true},
                      {"reason", ""},
                      {"results", json::array{json::object{{"server", "redis"},
                                                           {"engine", ""},
                                                           {"op", "get"},
                                                           {"mode", "inmemory"},
                                                           {"persistence", "appendonly no"},
                                                           {"pipeline", 16},
                                                           {"ops_per_sec", 800000.5},
                                                           {"p50_ns", 15000},
                                                           {"p99_ns", nullptr}}}},
                      {"memory", json::array{json::object{{"server", "statelab"},
                                                          {"engine", "btree"},
                                                          {"keys", 1000000},
                                                          {"rss_bytes_per_key", 180.5}}}}};
}

TEST(BaselineReaderTest, ServersSectionRoundTripsAndIsChecked) {
  Baseline b = FullBaseline();
  b.servers = Servers();
  EXPECT_EQ(ParseBaseline(json::serialize(ToJson(b)), "x").value(), b);
  EXPECT_FALSE(ToJson(FullBaseline()).as_object().contains("servers"));  // absent when empty
  std::string e = ErrorOf(Edited([](json::object& o) {
    o["servers"] = Servers();
    o["servers"].as_object()["results"].as_array()[0].as_object().erase("ops_per_sec");
  }));
  EXPECT_NE(e.find("servers.results[0].ops_per_sec: missing"), std::string::npos) << e;
  e = ErrorOf(Edited([](json::object& o) {
    o["servers"] = Servers();
    o["servers"].as_object()["memory"].as_array()[0].as_object()["keys"] = "many";
  }));
  EXPECT_NE(e.find("servers.memory[0].keys: expected integer"), std::string::npos) << e;
  e = ErrorOf(Edited([](json::object& o) {  // optional (older files), but checked when present
    o["servers"] = Servers();
    o["servers"].as_object()["results"].as_array()[0].as_object()["clients"] = 0;
  }));
  EXPECT_NE(e.find("servers.results[0].clients: must be >= 1"), std::string::npos) << e;
  e = ErrorOf(Edited([](json::object& o) { o["servers"] = json::array(); }));
  EXPECT_NE(e.find("servers: expected object"), std::string::npos) << e;
}

TEST(BaselineTest, AttachServersKeepsTheRestAndRefusesBadSections) {
  const std::string dir = testing::TempDir() + "/attach_test_" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/baseline.json";
  ASSERT_TRUE(WriteBaselineFile(FullBaseline(), path).ok());
  ASSERT_TRUE(AttachServers(path, Servers()).ok());
  Baseline expected = FullBaseline();
  expected.servers = Servers();
  EXPECT_EQ(ReadBaselineFile(path).value(), expected);

  json::object bad = Servers();
  bad.erase("available");
  const Status refused = AttachServers(path, bad);
  EXPECT_EQ(refused.code(), Code::kInvalidArgument);
  EXPECT_NE(refused.message().find("servers.available: missing"), std::string::npos)
      << refused.ToString();
  EXPECT_EQ(ReadBaselineFile(path).value(), expected);                        // unchanged
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);  // no temporaries
  std::filesystem::remove_all(dir);
}

TEST(BaselineReaderTest, UnknownExtraKeysAreAllowed) {
  // Adding an optional field does not bump the schema.
  const Baseline b =
      ParseBaseline(Edited([](json::object& o) { o["future_field"] = 1; }), "x").value();
  EXPECT_EQ(b, FullBaseline());
}

TEST(StatsTest, ComputesFromRepetitions) {
  const std::vector<Repetition> reps = {{10, 0, 1}, {20, 0, 1}, {30, 0, 1}, {40, 0, 1}};
  const Stats s = ComputeStats(reps).value();
  EXPECT_DOUBLE_EQ(s.mean_ns, 25);
  EXPECT_DOUBLE_EQ(s.median_ns, 25);
  EXPECT_DOUBLE_EQ(s.min_ns, 10);
  EXPECT_DOUBLE_EQ(s.max_ns, 40);
  ASSERT_TRUE(s.stddev_ns.has_value());
  EXPECT_NEAR(*s.stddev_ns, 12.909944487358056, 1e-12);
  EXPECT_NEAR(*s.cv, 12.909944487358056 / 25, 1e-12);
  const Stats one = ComputeStats(std::vector<Repetition>{{7, 0, 1}}).value();
  EXPECT_EQ(one.median_ns, 7);
  EXPECT_FALSE(one.stddev_ns.has_value());
  EXPECT_FALSE(one.cv.has_value());
  EXPECT_EQ(ComputeStats(std::vector<Repetition>{}).status().code(), Code::kInvalidArgument);
}

TEST(ParamsTest, Text) {
  const Params params = {{"n", 1e6}, {"dist", std::string("zipfian")}, {"theta", 0.99}};
  EXPECT_EQ(ParamsText(params), "dist=zipfian,n=1000000,theta=0.99");
  EXPECT_EQ(ParamsText({}), "");
  EXPECT_EQ(ParamText(ParamValue(-3.0)), "-3");
}

TEST(LatencyTest, FromHistogram) {
  Histogram h;
  EXPECT_FALSE(LatencyFromHistogram(h, 20).has_value());
  for (int i = 1; i <= 1000; ++i) h.Record(i);
  auto l = LatencyFromHistogram(h, 20);
  ASSERT_TRUE(l.has_value());
  EXPECT_NEAR(*l->p50_ns, 500, 5);
  EXPECT_NEAR(*l->p99_ns, 990, 10);
  // 1,000 samples publish p99 but not p99.9, which needs 10,000: null with the reason.
  EXPECT_FALSE(l->p999_ns.has_value());
  EXPECT_EQ(l->percentile_notes,
            (std::map<std::string, std::string>{
                {"p999_ns", "1000 samples; p99.9 needs >= 10000 (10 at or beyond it)"}}));
  EXPECT_EQ(l->max_ns, 1000);
  EXPECT_EQ(l->samples, 1000);
  EXPECT_EQ(l->timer_overhead_ns, 20);
  for (int i = 1001; i <= 10'000; ++i) h.Record(i);
  l = LatencyFromHistogram(h, 20);
  ASSERT_TRUE(l->p999_ns.has_value());
  EXPECT_NEAR(*l->p999_ns, 9990, 100);
  EXPECT_TRUE(l->percentile_notes.empty());
}

TEST(LatencyTest, NullPercentilesRoundTripWithTheirReason) {
  Baseline b = FullBaseline();
  Histogram h;
  for (int i = 1; i <= 5; ++i) h.Record(i * 1000);
  b.benchmarks[0].latency = LatencyFromHistogram(h, 20);
  const json::value j = ToJson(b);
  const json::object& lat = j.at("benchmarks").at(0).at("latency").as_object();
  EXPECT_TRUE(lat.at("p999_ns").is_null());
  EXPECT_TRUE(lat.at("p50_ns").is_null());
  EXPECT_EQ(lat.at("percentile_notes").at("p999_ns").as_string(),
            "5 samples; p99.9 needs >= 10000 (10 at or beyond it)");
  const Result<Baseline> back = FromJson(j, "t.json");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, b);

  // A null percentile must say why; files without percentile_notes (older) still read.
  json::value no_reason = j;
  no_reason.at("benchmarks").at(0).at("latency").as_object()["percentile_notes"] = json::object{};
  const Result<Baseline> rejected = FromJson(no_reason, "t.json");
  ASSERT_FALSE(rejected.ok());
  EXPECT_NE(rejected.error().message().find(
                "benchmarks[0].latency.p50_ns: null without a reason in percentile_notes"),
            std::string::npos)
      << rejected.error().message();
  json::value old = ToJson(FullBaseline());
  old.at("benchmarks").at(0).at("latency").as_object().erase("percentile_notes");
  EXPECT_TRUE(FromJson(old, "t.json").ok());
}

TEST(DerivedTest, FacadeTaxFromPresentBenchmarksOnly) {
  std::vector<BenchmarkResult> benches = {
      Bench("A0", "raw", "get_uniform", "btree", "n/a", 1, {10}),
      Bench("A1", "engine", "get_direct", "btree", "strict", 1, {20}),
      Bench("B", "kv", "get", "btree", "strict", 1, {50}),
      Bench("B", "kv", "get", "btree", "buffered", 1, {40}),  // No A1 in buffered.
      Bench("B", "kv", "get", "sharded", "strict", 1, {30}),  // No A0/A1 for sharded.
  };
  const std::vector<FacadeMapping> table = {
      {"kv_get", TierOp{"raw", "get_uniform"}, TierOp{"engine", "get_direct"}, TierOp{"kv", "get"}},
      {"kv_put", TierOp{"raw", "put_prealloc"}, TierOp{"engine", "put_direct"},
       TierOp{"kv", "put"}},
  };
  const Derived d = ComputeDerived(benches, table);
  ASSERT_EQ(d.facade_tax.size(), 4u);
  EXPECT_EQ(d.facade_tax[0].kind, "A1/A0");
  EXPECT_EQ(d.facade_tax[0].mode, "strict");
  EXPECT_DOUBLE_EQ(d.facade_tax[0].ratio, 2.0);
  EXPECT_EQ(d.facade_tax[1].kind, "B/A1");
  EXPECT_DOUBLE_EQ(d.facade_tax[1].ratio, 2.5);
  EXPECT_EQ(d.facade_tax[1].numerator, "B/kv/get/btree/strict");
  EXPECT_EQ(d.facade_tax[1].denominator, "A1/engine/get_direct/btree/strict");
  // B/A0: strict and buffered both match the mode-less A0.
  EXPECT_EQ(d.facade_tax[2].kind, "B/A0");
  EXPECT_DOUBLE_EQ(d.facade_tax[2].ratio, 5.0);
  EXPECT_EQ(d.facade_tax[3].kind, "B/A0");
  EXPECT_EQ(d.facade_tax[3].mode, "buffered");
  EXPECT_DOUBLE_EQ(d.facade_tax[3].ratio, 4.0);
  for (const FacadeTax& f : d.facade_tax) EXPECT_EQ(f.engine, "btree");
  EXPECT_TRUE(d.scaling.empty());
}

TEST(DerivedTest, ScalingAgainstOneThread) {
  std::vector<BenchmarkResult> benches = {
      Bench("D", "disjoint", "put", "sharded", "n/a", 1, {100, 110, 90}),  // median 1e7 ops/s.
      Bench("D", "disjoint", "put", "sharded", "n/a", 2, {100}),           // 2e7 ops/s.
      Bench("D", "disjoint", "put", "sharded", "n/a", 4, {200}),           // 2e7 ops/s.
      Bench("D", "disjoint", "put", "btree", "n/a", 2, {100}),  // No 1-thread btree: skipped.
  };
  const Derived d = ComputeDerived(benches, {});
  ASSERT_EQ(d.scaling.size(), 2u);
  EXPECT_EQ(d.scaling[0].threads, 2);
  EXPECT_DOUBLE_EQ(d.scaling[0].ops_per_sec_1, 1e7);
  EXPECT_DOUBLE_EQ(d.scaling[0].speedup, 2.0);
  EXPECT_DOUBLE_EQ(d.scaling[0].efficiency, 1.0);
  EXPECT_EQ(d.scaling[1].threads, 4);
  EXPECT_DOUBLE_EQ(d.scaling[1].speedup, 2.0);
  EXPECT_DOUBLE_EQ(d.scaling[1].efficiency, 0.5);
  EXPECT_TRUE(d.facade_tax.empty());
}

}  // namespace
}  // namespace statelab::harness
