#include "bench/run.h"

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "engines/core/layer_timing.h"
#include "harness/noise.h"
#include "harness/placement.h"

namespace statelab::bench {

namespace {

constexpr const char* kRecordCounter = "statelab_record";
// extra{} keys that summarize repetitions by their worst value rather than their mean.
const std::set<std::string> kMaxExtraKeys = {"loss_window_ms", "unsynced_at_end"};

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

struct CellRuntime {
  const CellDef* def = nullptr;
  CellContext ctx;
  std::unique_ptr<Fixture> fixture;
  bool created = false;
  std::string setup_error;
  std::vector<std::unique_ptr<CallRecord>> calls;
  // Noise sampled around each call (outside its timed loop), by the call's record.
  std::map<const CallRecord*, harness::NoiseWindow> noise;
  double last_ns_per_op = 0;
};

void CreateFixture(CellRuntime& rt) {
  rt.created = true;
  Result<std::unique_ptr<Fixture>> f = rt.def->make(rt.ctx);
  if (f.ok()) {
    rt.fixture = std::move(f).value();
  } else {
    rt.setup_error = "setup failed: " + f.status().ToString();
  }
}

void ReleaseFixture(CellRuntime& rt) {
  rt.fixture.reset();
  std::error_code ec;
  std::filesystem::remove_all(rt.ctx.data_dir, ec);
}

MeasureConfig ConfigFor(const CellRuntime& rt, const RunnerConfig& cfg) {
  MeasureConfig mc;
  mc.timer_overhead_ns = cfg.timer_overhead_ns;
  mc.sample_stride = SampleStride(rt.last_ns_per_op, cfg.timer_overhead_ns);
  mc.pinner = cfg.pinner;
  mc.cell = rt.ctx;
  return mc;
}

// One call: pinned measurement of the fixture, then the checks every cell gets (the engine ran
// in the labelled mode; something was measured) and the engine counters of the call.
void MeasureCall(CellRuntime& rt, Measure& m) {
  CallRecord& rec = m.record();
  const std::optional<EngineStats> before = rt.fixture->Stats();
  const layer_timing::Totals layers0 = layer_timing::Snapshot();
  const bool single = rt.def->timing != Timing::kSingleShot;
  harness::PinResult pin;
  harness::NoiseWindow& noise = rt.noise[&rec];
  noise.before = harness::SampleNoise();
  const std::map<pid_t, harness::TaskCpu> tasks0 = harness::SnapshotTasks();
  {
    ScopedPin scoped(single ? m.config().pinner : nullptr, 0, &pin);
    rt.fixture->Run(m);
  }
  const std::map<pid_t, harness::TaskCpu> tasks1 = harness::SnapshotTasks();
  noise.after = harness::SampleNoise();
  if (single) {
    if (m.config().pinner != nullptr) {
      rec.pinning = harness::ToBaselinePinning({pin});
      for (harness::PinnedThread& p : rec.pinning.threads) p.observed = rec.observed.ToBaseline();
    } else {
      rec.pinning.reason = "pinning disabled";
    }
    rec.pinning.measured_by = "the calling thread (harness thread 0)";
  }
  // Tier D's harness threads are joined by now: what is left ran for the engine.
  rec.pinning.others = harness::OtherThreads(tasks0, tasks1, {gettid()});
  if (const std::optional<EngineStats> after = rt.fixture->Stats(); after && before) {
    const std::string& label = rt.def->key.mode;
    if (label != kModeNotApplicable && ModeName(after->mode) != label) {
      m.Fail("engine reported mode " + std::string(ModeName(after->mode)) +
             " for a cell labelled " + label);
    }
    const uint64_t commits = after->commits - before->commits;
    const uint64_t syncs = after->wal_syncs - before->wal_syncs;
    rec.extra.try_emplace("engine_commits", static_cast<double>(commits));
    rec.extra.try_emplace("engine_conflicts",
                          static_cast<double>(after->conflicts - before->conflicts));
    rec.extra.try_emplace("engine_wal_syncs", static_cast<double>(syncs));
    if (after->mode != DurabilityMode::kInMemory && commits > 0) {
      rec.extra.try_emplace("syncs_per_commit",
                            static_cast<double>(syncs) / static_cast<double>(commits));
    }
  }
  if (const std::optional<uint64_t> files = rt.fixture->FileOps()) {
    rec.extra.try_emplace("file_ops", static_cast<double>(*files));
    if (rt.def->key.mode == ModeName(DurabilityMode::kInMemory) && *files > 0) {
      m.Fail("a cell labelled inmemory made " + std::to_string(*files) + " file operations");
    }
  }
  if constexpr (layer_timing::kEnabled) {
    const layer_timing::Totals layers1 = layer_timing::Snapshot();
    for (int l = 0; l < layer_timing::kNumLayers; ++l) {
      if (rec.ops == 0 || layers1.count[l] == layers0.count[l]) continue;
      rec.extra["layer_" + std::string(layer_timing::kLayerNames[l]) + "_ns_per_op"] =
          static_cast<double>(layers1.ns[l] - layers0.ns[l]) / static_cast<double>(rec.ops);
    }
  }
  if (rec.ops == 0 || rec.elapsed_ns <= 0) {
    m.Fail("no operation completed in the measured region");
  } else {
    rt.last_ns_per_op =
        static_cast<double>(rec.elapsed_ns) * rec.threads / static_cast<double>(rec.ops);
  }
}

// InvalidArgument when the repetitions cannot make a result. `noise` holds the window of every
// repetition's call.
Result<harness::BenchmarkResult> BuildResult(
    const CellDef& def, const std::vector<const CallRecord*>& reps,
    const std::map<const CallRecord*, harness::NoiseWindow>& noise, double timer_overhead_ns) {
  if (reps.empty()) return Status::InvalidArgument("no repetition completed");
  harness::BenchmarkResult b;
  b.name = def.key.Name();
  b.tier = def.key.tier;
  b.group = def.key.group;
  b.op = def.key.op;
  b.engine = def.key.engine;
  b.kind = EngineKind(def.key.engine);
  b.mode = def.key.mode;
  b.params = def.key.params;
  b.threads = reps.back()->threads;
  harness::Histogram latency;
  harness::AllocCounts allocs;
  harness::PerfSample perf;
  bool perf_ok = true;
  uint64_t ops = 0;
  std::map<std::string, std::vector<double>> extra;
  std::vector<harness::NoiseWindow> windows;
  for (size_t i = 0; i < reps.size(); ++i) {
    const CallRecord& r = *reps[i];
    if (auto it = noise.find(&r); it != noise.end()) windows.push_back(it->second);
    if (r.ops == 0 || r.elapsed_ns <= 0) {
      return Status::InvalidArgument("a repetition measured no operation");
    }
    const double secs = static_cast<double>(r.elapsed_ns) * 1e-9;
    b.repetitions.push_back(
        {static_cast<double>(r.elapsed_ns) * r.threads / static_cast<double>(r.ops),
         static_cast<double>(r.ops) / secs, static_cast<int64_t>(r.ops)});
    latency.Merge(r.latency);
    allocs += r.allocs;
    ops += r.ops;
    if (!r.perf_measured) {
      perf_ok = false;
    } else if (i == 0) {
      perf = r.perf;
    } else {
      perf.Accumulate(r.perf);
    }
    for (const auto& [k, v] : r.extra) extra[k].push_back(v);
  }
  STATELAB_ASSIGN_OR_RETURN(b.stats, harness::ComputeStats(b.repetitions));
  b.latency = harness::LatencyFromHistogram(latency, timer_overhead_ns);
  b.allocs_per_op = harness::AllocsPerOp(allocs, ops);
  b.bytes_allocated_per_op = harness::BytesAllocatedPerOp(allocs, ops);
  if (perf_ok) {
    b.counters = harness::CountersPerOp(perf, ops);
  } else {
    b.counters.available = false;
    b.counters.reason = "counters not read for every repetition";
  }
  for (const auto& [k, values] : extra) {
    if (kMaxExtraKeys.count(k)) {
      b.extra[k] = *std::max_element(values.begin(), values.end());
    } else {
      double sum = 0;
      for (double v : values) sum += v;
      b.extra[k] = sum / static_cast<double>(values.size());
    }
  }
  harness::AddCellNoise(harness::SumNoise(windows), ops, b.extra);
  b.pinning = reps.back()->pinning;
  return b;
}

std::string HumanNs(double ns) {
  char buf[32];
  if (ns < 1e3) {
    std::snprintf(buf, sizeof buf, "%.0f ns", ns);
  } else if (ns < 1e6) {
    std::snprintf(buf, sizeof buf, "%.2f us", ns / 1e3);
  } else if (ns < 1e9) {
    std::snprintf(buf, sizeof buf, "%.2f ms", ns / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f s", ns / 1e9);
  }
  return buf;
}

void PrintProgress(size_t done, size_t total, const harness::BenchmarkResult& b) {
  std::string line = "[" + std::to_string(done) + "/" + std::to_string(total) + "] " + b.name +
                     "  median " + HumanNs(b.stats.median_ns);
  if (b.latency && b.latency->p99_ns) line += "  p99 " + HumanNs(*b.latency->p99_ns);
  if (b.allocs_per_op) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "  allocs/op %.3g", *b.allocs_per_op);
    line += buf;
  }
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

// Receives Google Benchmark's per-repetition runs and turns them into results.
class Collector : public benchmark::BenchmarkReporter {
 public:
  Collector(std::vector<CellRuntime>& cells, const RunnerConfig& cfg, RunOutcome* out)
      : cells_(cells), cfg_(cfg), out_(out) {
    for (size_t i = 0; i < cells_.size(); ++i) by_name_[cells_[i].def->key.Name()] = i;
  }
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override {
    std::map<size_t, std::vector<const Run*>> by_cell;
    for (const Run& r : runs) {
      if (r.run_type != Run::RT_Iteration) continue;
      auto it = by_name_.find(r.run_name.function_name);
      if (it != by_name_.end()) by_cell[it->second].push_back(&r);
    }
    for (auto& [index, cell_runs] : by_cell) Finish(cells_[index], cell_runs);
  }

 private:
  void Finish(CellRuntime& rt, const std::vector<const Run*>& runs) {
    std::string error;
    std::vector<const CallRecord*> reps;
    for (const Run* r : runs) {
      if (r->error_occurred) {
        error = r->error_message;
        break;
      }
      auto c = r->counters.find(kRecordCounter);
      const size_t id = c == r->counters.end() ? SIZE_MAX : static_cast<size_t>(c->second.value);
      if (id >= rt.calls.size()) {
        error = "internal: no record of a reported repetition";
        break;
      }
      reps.push_back(rt.calls[id].get());
    }
    ++done_;
    if (error.empty()) {
      Result<harness::BenchmarkResult> b =
          BuildResult(*rt.def, reps, rt.noise, cfg_.timer_overhead_ns);
      if (b.ok()) {
        if (cfg_.progress) PrintProgress(done_, cells_.size(), *b);
        out_->results.push_back(std::move(*b));
      } else {
        error = b.error().message();
      }
    }
    if (!error.empty()) {
      if (cfg_.progress) {
        std::printf("[%zu/%zu] %s  FAILED: %s\n", done_, cells_.size(), rt.def->key.Name().c_str(),
                    error.c_str());
        std::fflush(stdout);
      }
      out_->failed.push_back({rt.def->key, error, true});
    }
    ReleaseFixture(rt);
    rt.calls.clear();
    rt.noise.clear();
  }

  std::vector<CellRuntime>& cells_;
  const RunnerConfig& cfg_;
  RunOutcome* out_;
  std::map<std::string, size_t> by_name_;
  size_t done_ = 0;
};

}  // namespace

CellContext MakeCellContext(const CellDef& cell, size_t index, const RunnerConfig& cfg) {
  CellContext ctx;
  ctx.data_dir =
      (std::filesystem::path(cfg.data_root) / ("cell-" + std::to_string(index))).string();
  ctx.seed = cfg.seed ^ Fnv1a(cell.key.Name());
  switch (cfg.suite) {
    case Suite::kQuick:
      ctx.warmup_seconds = 0.03;
      ctx.measure_seconds = 0.1;
      break;
    case Suite::kStandard:
      ctx.warmup_seconds = 0.2;
      ctx.measure_seconds = 0.5;
      break;
    case Suite::kFull:
      ctx.warmup_seconds = 0.5;
      ctx.measure_seconds = 2.0;
      break;
  }
  return ctx;
}

RunOutcome RunWithGoogleBenchmark(const std::vector<CellDef>& cells, const RunnerConfig& cfg) {
  RunOutcome out;
  std::vector<CellRuntime> rts(cells.size());
  for (size_t i = 0; i < cells.size(); ++i) {
    rts[i].def = &cells[i];
    rts[i].ctx = MakeCellContext(cells[i], i, cfg);
  }

  char reps[64], min_time[64];
  std::snprintf(reps, sizeof reps, "--benchmark_repetitions=%d", cfg.repetitions);
  std::snprintf(min_time, sizeof min_time, "--benchmark_min_time=%g", cfg.min_time);
  std::string out_flag = "--benchmark_out=" + cfg.gbench_json;
  std::vector<char*> argv = {const_cast<char*>("statelab-bench"), reps, min_time};
  if (!cfg.gbench_json.empty()) {
    argv.push_back(out_flag.data());
    argv.push_back(const_cast<char*>("--benchmark_out_format=json"));
  }
  int argc = static_cast<int>(argv.size());
  benchmark::Initialize(&argc, argv.data());

  CellRuntime* active = nullptr;
  for (CellRuntime& rt : rts) {
    CellRuntime* self = &rt;
    auto* b = benchmark::RegisterBenchmark(
        rt.def->key.Name().c_str(), [self, &active, &cfg](benchmark::State& st) {
          if (active != self) {
            if (active != nullptr) ReleaseFixture(*active);
            active = self;
          }
          if (!self->created) CreateFixture(*self);
          if (!self->fixture) {
            st.SkipWithError(self->setup_error.c_str());
            return;
          }
          auto rec = std::make_unique<CallRecord>();
          Measure m(st, ConfigFor(*self, cfg), rec.get());
          MeasureCall(*self, m);
          if (m.failed()) st.SkipWithError(m.failure().c_str());
          st.counters[kRecordCounter] = static_cast<double>(self->calls.size());
          self->calls.push_back(std::move(rec));
        });
    b->Unit(benchmark::kNanosecond);
    if (rt.def->max_repetitions > 0) {
      b->Repetitions(std::min(cfg.repetitions, rt.def->max_repetitions));
    }
    switch (rt.def->timing) {
      case Timing::kLoop:
        b->UseRealTime();
        if (rt.def->iterations > 0)
          b->Iterations(static_cast<benchmark::IterationCount>(rt.def->iterations));
        break;
      case Timing::kManual:
        b->UseManualTime();
        break;
      case Timing::kSingleShot:
        b->Iterations(1)->UseManualTime();
        break;
    }
  }
  Collector collector(rts, cfg, &out);
  benchmark::RunSpecifiedBenchmarks(&collector);
  benchmark::ClearRegisteredBenchmarks();
  benchmark::Shutdown();
  for (CellRuntime& rt : rts) ReleaseFixture(rt);
  return out;
}

DirectRun RunDirect(const CellDef& cell, const RunnerConfig& cfg, uint64_t iterations, int calls) {
  DirectRun out;
  CellRuntime rt;
  rt.def = &cell;
  rt.ctx = MakeCellContext(cell, 0, cfg);
  CreateFixture(rt);
  if (!rt.fixture) {
    out.error = rt.setup_error;
    return out;
  }
  std::vector<const CallRecord*> reps;
  for (int c = 0; c < calls && out.error.empty(); ++c) {
    auto rec = std::make_unique<CallRecord>();
    Measure m(iterations, ConfigFor(rt, cfg), rec.get());
    MeasureCall(rt, m);
    if (m.failed()) out.error = m.failure();
    reps.push_back(rec.get());
    out.calls.push_back(std::move(rec));
  }
  if (out.error.empty()) {
    Result<harness::BenchmarkResult> b = BuildResult(cell, reps, rt.noise, cfg.timer_overhead_ns);
    if (b.ok()) {
      out.result = std::move(*b);
    } else {
      out.error = b.error().message();
    }
  }
  out.fixture = std::move(rt.fixture);
  return out;
}

}  // namespace statelab::bench
