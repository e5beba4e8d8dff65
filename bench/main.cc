// statelab-bench: runs the benchmark catalogue (bench/catalogue.h) over every engine x
// durability mode through Google Benchmark and writes DIR/baseline.json (docs/baseline_schema.md)
// plus Google Benchmark's own DIR/gbench.json. Usage: --help, docs/harness.md.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <set>
#include <system_error>

#include "bench/catalogue.h"
#include "bench/describe.h"
#include "bench/flags.h"
#include "bench/instructions.h"
#include "bench/null_engine.h"
#include "bench/run.h"
#include "bench/shard.h"
#include "bench/ycsb.h"
#include "engines/core/layer_timing.h"
#include "engines/registry/engine_list.h"
#include "harness/baseline.h"
#include "harness/derived.h"
#include "harness/environment.h"
#include "harness/perf_counters.h"
#include "harness/timer.h"
#include "util/cli_args.h"
#include "util/json.h"

namespace statelab::bench {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr char kTool[] = "statelab-bench";

json::object CellJson(const SkippedCell& s) {
  json::object o = CellKeyJson(s.key);
  o["reason"] = s.reason;
  o["failed"] = s.failed;
  return o;
}

void PrintList(Catalogue& cat) {
  for (const CellDef& c : cat.cells()) std::printf("%s\n", c.key.Name().c_str());
  for (const SkippedCell& s : cat.skipped()) {
    std::printf("SKIP %s: %s\n", s.key.Name().c_str(), s.reason.c_str());
  }
}

std::string RunIdFor(const BenchOptions& opts, std::time_t created, const harness::GitInfo& git) {
  if (!opts.out.empty()) {
    std::string base = fs::path(opts.out).lexically_normal().filename().string();
    if (base.starts_with("run_")) return base;
  }
  return harness::MakeRunId(created, git.commit, opts.label);
}

// Fails when `out` already holds a run (run folders are written once), else creates it.
int PrepareOut(const fs::path& out) {
  std::error_code ec;
  if (fs::exists(out / "baseline.json")) {
    std::fprintf(stderr,
                 "statelab-bench: %s already holds a baseline.json (run folders are "
                 "written once)\n",
                 out.c_str());
    return 3;
  }
  fs::create_directories(out, ec);
  if (ec) {
    std::fprintf(stderr, "statelab-bench: cannot create %s: %s\n", out.c_str(),
                 ec.message().c_str());
    return 3;
  }
  return 0;
}

// --metric instructions where the hardware counters are refused: the same command under
// callgrind (bench/instructions.h), whose baseline.json gets the dumps' instructions per op.
int CountUnderCallgrind(int argc, char** argv, const BenchOptions& opts, const fs::path& scratch) {
  if (!opts.out.empty()) {
    if (const int rc = PrepareOut(opts.out); rc != 0) return rc;
  }
  std::error_code ec;
  fs::create_directories(scratch, ec);
  if (ec) {
    std::fprintf(stderr, "statelab-bench: cannot create %s: %s\n", scratch.c_str(),
                 ec.message().c_str());
    return 3;
  }
  std::printf("statelab-bench: hardware counters refused; counting instructions under callgrind\n");
  std::fflush(stdout);
  const Result<int> child = RunUnderCallgrind({argv + 1, argv + argc}, scratch.string());
  if (!child.ok()) return util::Fail(kTool, "", child.status(), 3);
  const std::string child_file = (scratch / "run/baseline.json").string();
  Result<json::value> raw = util::LoadJsonFile(child_file);
  if (!raw.ok()) return util::Fail(kTool, "callgrind child", raw.status(), 3);
  Result<harness::Baseline> b = harness::FromJson(*raw, child_file);
  if (!b.ok()) return util::Fail(kTool, "callgrind child", b.status(), 3);
  Result<std::map<std::string, uint64_t>> dumps = ReadCallgrindDumps(scratch.string());
  if (!dumps.ok()) return util::Fail(kTool, "callgrind output", dumps.status(), 3);
  if (Status s = ApplyDumps(*dumps, "instructions_per_op from callgrind", &b->benchmarks);
      !s.ok()) {
    return util::Fail(kTool, "callgrind output", s, 3);
  }
  b->run_id = RunIdFor(opts, std::time(nullptr), b->git);
  b->environment["harness"].as_object()["instructions_source"] = "callgrind";
  json::value& warnings = b->environment["warnings"];
  if (!warnings.is_array()) warnings.emplace_array();
  warnings.as_array().emplace_back(
      "--metric instructions under callgrind: the timings of this run were taken under valgrind "
      "and mean nothing; compare it with statelab-compare --metric instructions");
  for (const harness::BenchmarkResult& r : b->benchmarks) {
    std::printf("%s  instructions/op %.1f\n", r.name.c_str(), *r.counters.instructions_per_op);
  }
  if (!opts.out.empty()) {
    json::value doc = harness::ToJson(*b);
    doc.as_object()["skipped"] = raw->as_object()["skipped"];
    const std::string path = (fs::path(opts.out) / "baseline.json").string();
    if (Status s = util::WriteFile(path, util::JsonFileText(doc)); !s.ok()) {
      return util::Fail(kTool, "", s, 3);
    }
    std::printf("statelab-bench: wrote %s\n", path.c_str());
  }
  return *child;
}

// The ycsb tier's workloads: the --workload files (each checked whole before anything runs; a
// bad one exits 2), else the catalogue's files (bench/ycsb.h; a broken one exits 3).
Result<std::vector<YcsbWorkload>> LoadWorkloads(const BenchOptions& opts, int* exit_code) {
  if (opts.workload_files.empty()) {
    *exit_code = 3;
    return CatalogueWorkloads(opts.suite);
  }
  *exit_code = 2;
  std::vector<YcsbWorkload> out;
  std::set<std::string> names;
  for (const std::string& file : opts.workload_files) {
    STATELAB_ASSIGN_OR_RETURN(workloads::CoreWorkload w,
                              workloads::LoadCoreWorkload(file, opts.properties));
    if (!names.insert(w.name).second) {
      return Status::InvalidArgument(file + ": a second workload named '" + w.name +
                                     "' (cells are named after the file stem)");
    }
    out.push_back({std::make_shared<const workloads::CoreWorkload>(std::move(w)), Suite::kQuick});
  }
  return out;
}

// baseline.json `workloads`: the workloads that have a cell in the catalogue (run or skipped).
boost::json::object UsedWorkloads(Catalogue& cat) {
  std::set<std::string> used;  // ycsb: the group (the file stem); harness: tier/group/op
  auto note = [&](const CellKey& k) {
    used.insert(k.tier == "ycsb" ? k.group : k.tier + "/" + k.group + "/" + k.op);
  };
  for (const CellDef& c : cat.cells()) note(c.key);
  for (const SkippedCell& c : cat.skipped()) note(c.key);
  std::vector<YcsbWorkload> ycsb;
  for (const YcsbWorkload& y : cat.options().ycsb) {
    if (used.contains(y.def->name)) ycsb.push_back(y);
  }
  std::vector<HarnessWorkload> harness;
  for (const HarnessWorkload& h : cat.options().harness) {
    if (used.contains(HarnessWorkloadName(h))) harness.push_back(h);
  }
  return WorkloadsJson(ycsb, harness);
}

int Main(int argc, char** argv) {
  BenchOptions opts;
  if (Status s = ParseBenchFlags(argc, argv, &opts); !s.ok()) return util::Fail(kTool, "", s, 2);
  if (opts.help) {
    std::printf("%s", BenchUsage().c_str());
    return 0;
  }
  if (opts.describe) {
    std::printf("%s\n", util::PrettyJson(Describe()).c_str());
    return 0;
  }
  int workload_exit = 0;
  Result<std::vector<YcsbWorkload>> ycsb = LoadWorkloads(opts, &workload_exit);
  if (!ycsb.ok()) return util::Fail(kTool, "workload file", ycsb.error(), workload_exit);
  // The other tiers' file-defined cells (workloads/harness); a broken file there exits 3.
  Result<std::vector<HarnessWorkload>> harness_files = LoadHarnessWorkloads(HarnessWorkloadDir());
  if (!harness_files.ok()) return util::Fail(kTool, "workload file", harness_files.error(), 3);
  // --workload runs the files' cells only.
  if (!opts.workload_files.empty() && opts.tiers.empty()) opts.tiers = {"ycsb"};
  if (opts.null_work > 0) {
    NullEngine::SetWork(opts.null_work);
    opts.warnings.push_back("test knob --null-work " + std::to_string(opts.null_work) +
                            ": null-engine cells do extra work (docs/compare.md)");
  }
  // Set in the callgrind child of a --metric instructions run: its output goes to the parent.
  const char* child_dir = std::getenv(kCallgrindChildEnv);
  if (child_dir != nullptr) opts.out = (fs::path(child_dir) / "run").string();
  const bool counted = opts.metric == Metric::kInstructions;
  const auto wall_start = std::chrono::steady_clock::now();
  std::error_code ec;
  const fs::path base = opts.data_dir.empty() ? fs::temp_directory_path() : fs::path(opts.data_dir);
  const fs::path data_root = base / ("statelab-bench-" + std::to_string(::getpid()));
  fs::create_directories(data_root, ec);
  if (ec) {
    std::fprintf(stderr, "statelab-bench: cannot create %s: %s\n", data_root.c_str(),
                 ec.message().c_str());
    return 3;
  }
  struct RemoveRoot {
    fs::path p;
    ~RemoveRoot() {
      std::error_code e;
      fs::remove_all(p, e);
    }
  } remove_root{data_root};

  CatalogueOptions co;
  co.suite = opts.suite;
  co.engines = opts.engines;
  co.modes = opts.modes;
  co.tiers = opts.tiers;
  if (!opts.filter.empty()) co.filter.emplace(opts.filter);
  co.threads = opts.ThreadCounts();
  co.disjoint_threads = opts.DisjointThreadCounts();
  co.group_commit_threads = opts.GroupCommitThreadCounts();
  co.seed = opts.seed;
  co.data_root = data_root.string();
  co.ycsb = std::move(*ycsb);
  co.harness = std::move(*harness_files);
  Catalogue cat(std::move(co));
  BuildCatalogue(cat);
  if (counted) KeepCountable(cat);
  std::optional<ShardPlan> shard;
  if (opts.shard) {
    RunnerConfig plan_cfg;  // what ExpectedSeconds reads
    plan_cfg.repetitions = opts.Repetitions();
    plan_cfg.min_time = opts.MinTime();
    plan_cfg.suite = opts.suite;
    shard = KeepShard(cat, *opts.shard, plan_cfg);
  }
  if (opts.list) {
    PrintList(cat);
    return 0;
  }

  const bool hw_counters = counted && harness::ProbePerfCounters().available;
  if (counted && child_dir == nullptr && !hw_counters) {
    return CountUnderCallgrind(argc, argv, opts, data_root / "callgrind");
  }

  fs::path out;
  if (!opts.out.empty()) {
    out = opts.out;
    if (const int rc = PrepareOut(out); rc != 0) return rc;
  }

  const std::time_t created = std::time(nullptr);
  const harness::GitInfo git = harness::CaptureGit(harness::DefaultRepoRoot());
  harness::EnvironmentOptions eo;
  eo.data_dir = data_root.string();
  eo.reference_platform_path = opts.reference_platform.empty()
                                   ? harness::DefaultRepoRoot() + "/gates/reference_platform.json"
                                   : opts.reference_platform;
  json::object env = harness::CaptureEnvironment(eo, git);
  const std::string shard_label = shard ? " shard " + std::to_string(shard->spec.index) + "/" +
                                              std::to_string(shard->spec.count)
                                        : "";
  if (shard && !out.empty()) {
    // Written before any cell runs: a part killed midway still names the cells it owed.
    const json::object file = ShardFileJson(*shard, cat.cells(), cat.skipped(), env, git.commit,
                                            opts.SuiteLabel(), opts.seed);
    if (Status s = util::WriteFile((out / "shard.json").string(), util::JsonFileText(file));
        !s.ok()) {
      return util::Fail(kTool, "", s, 3);
    }
  }
  const double timer_overhead = harness::MeasureTimerOverheadNs();
  Pinner pinner(opts.cores);
  std::printf(
      "statelab-bench: suite %s%s, %zu cells to run, %zu skipped, %d repetitions, timer "
      "overhead %.1f ns, data in %s\n",
      opts.SuiteLabel().c_str(), shard_label.c_str(), cat.cells().size(), cat.skipped().size(),
      opts.Repetitions(), timer_overhead, data_root.c_str());
  std::fflush(stdout);

  RunnerConfig rc;
  rc.repetitions = opts.Repetitions();
  rc.min_time = opts.MinTime();
  rc.timer_overhead_ns = timer_overhead;
  rc.pinner = &pinner;
  rc.seed = opts.seed;
  rc.data_root = data_root.string();
  rc.suite = opts.suite;
  if (!out.empty()) rc.gbench_json = (out / "gbench.json").string();
  RunOutcome run = counted ? RunCounted(cat.cells(), rc, opts.instruction_ops, child_dir != nullptr)
                           : RunWithGoogleBenchmark(cat.cells(), rc);

  std::vector<SkippedCell> skipped = cat.skipped();
  skipped.insert(skipped.end(), run.failed.begin(), run.failed.end());
  harness::RecordRunEnd(env);
  json::array& warnings =
      env["warnings"].is_array() ? env["warnings"].as_array() : env["warnings"].emplace_array();
  for (const std::string& w : opts.warnings) warnings.emplace_back(w);
  if (!run.failed.empty()) {
    warnings.emplace_back(std::to_string(run.failed.size()) +
                          " benchmark cells failed (baseline.json skipped[] with failed: true)");
  }
  if (!cat.skipped().empty()) {
    warnings.emplace_back(std::to_string(cat.skipped().size()) +
                          " benchmark cells skipped (reasons in baseline.json skipped[])");
  }
  env["harness"] = json::object{{"timer_overhead_ns", timer_overhead},
                                {"layer_timing", layer_timing::kEnabled},
                                {"min_time_s", rc.min_time},
                                {"suite", std::string(SuiteName(opts.suite))},
                                {"metric", counted ? "instructions" : "time"}};
  if (shard) {
    env["harness"].as_object()["shard"] = shard_label.substr(std::string_view(" shard ").size());
  }
  if (counted) {
    env["harness"].as_object()["instruction_ops"] = opts.instruction_ops;
    if (hw_counters) env["harness"].as_object()["instructions_source"] = "perf_event";
  }

  harness::Baseline b;
  b.run_id = RunIdFor(opts, created, git);
  b.created_utc = harness::UtcIso8601(created);
  b.git = git;
  b.environment = std::move(env);
  b.config.suite = opts.SuiteLabel();
  if (opts.engines.empty()) {
    for (std::string_view e : AllEngines::names) b.config.engines.emplace_back(e);
  } else {
    b.config.engines = opts.engines;
  }
  for (const std::string& e : b.config.engines) b.config.engine_kinds[e] = EngineKind(e);
  if (opts.modes.empty()) {
    for (DurabilityMode m : kAllModes) b.config.modes.emplace_back(ModeName(m));
  } else {
    b.config.modes = opts.modes;
  }
  b.config.repetitions = rc.repetitions;
  b.config.seed = opts.seed;
  b.config.cores = pinner.cores();
  b.benchmarks = std::move(run.results);
  b.derived = harness::ComputeDerived(b.benchmarks, harness::FacadeTable());
  b.workloads = UsedWorkloads(cat);

  json::value doc = harness::ToJson(b);
  json::array skipped_json;
  for (const SkippedCell& s : skipped) skipped_json.emplace_back(CellJson(s));
  doc.as_object()["skipped"] = std::move(skipped_json);
  const std::string text = util::JsonFileText(doc);
  // What we write, the reader accepts.
  if (Status s = harness::ParseBaseline(text, "baseline.json").status(); !s.ok()) {
    return util::Fail(kTool, "internal error", s, 3);
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  if (!out.empty()) {
    if (Status s = util::WriteFile((out / "baseline.json").string(), text); !s.ok()) {
      return util::Fail(kTool, "", s, 3);
    }
  }
  std::printf("statelab-bench: %zu results, %zu skipped, %zu failed in %.0f s%s%s\n",
              b.benchmarks.size(), cat.skipped().size(), run.failed.size(), secs,
              out.empty() ? " (no --out: nothing written)" : "; wrote ",
              out.empty() ? "" : (out / "baseline.json").c_str());
  return run.failed.empty() ? 0 : 1;
}

}  // namespace
}  // namespace statelab::bench

int main(int argc, char** argv) {
  return statelab::util::RunTool(statelab::bench::kTool, statelab::bench::Main, argc, argv);
}
