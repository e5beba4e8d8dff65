// Writing baseline.json: the model as JSON, the write-once file, and attaching the servers section.

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "harness/baseline.h"
#include "util/json.h"

namespace statelab::harness {
namespace json = boost::json;
namespace {

json::value OptBool(const std::optional<bool>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

json::array Strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

json::object ParamsJson(const Params& params) {
  json::object o;
  for (const auto& [k, v] : params) {
    if (const double* d = std::get_if<double>(&v)) {
      o[k] = *d;
    } else {
      o[k] = std::get<std::string>(v);
    }
  }
  return o;
}

json::object BenchmarkJson(const BenchmarkResult& b) {
  json::object o;
  o["name"] = b.name;
  o["tier"] = b.tier;
  o["group"] = b.group;
  o["op"] = b.op;
  o["engine"] = b.engine;
  o["kind"] = b.kind;
  o["mode"] = b.mode;
  o["threads"] = b.threads;
  o["params"] = ParamsJson(b.params);
  json::array reps;
  for (const Repetition& r : b.repetitions) {
    reps.emplace_back(json::object{
        {"ns_per_op", r.ns_per_op}, {"ops_per_sec", r.ops_per_sec}, {"iterations", r.iterations}});
  }
  o["repetitions"] = std::move(reps);
  o["stats"] = json::object{{"mean_ns", b.stats.mean_ns},
                            {"median_ns", b.stats.median_ns},
                            {"stddev_ns", util::NumberOrNull(b.stats.stddev_ns)},
                            {"cv", util::NumberOrNull(b.stats.cv)},
                            {"min_ns", b.stats.min_ns},
                            {"max_ns", b.stats.max_ns}};
  if (b.latency) {
    const Latency& l = *b.latency;
    json::object lo;
    for (const LatencyPercentile& p : kLatencyPercentiles) {
      lo[p.name] = util::NumberOrNull(l.*p.field);
    }
    lo["max_ns"] = l.max_ns;
    lo["samples"] = l.samples;
    lo["timer_overhead_ns"] = l.timer_overhead_ns;
    json::object notes;
    for (const auto& [field, why] : l.percentile_notes) notes[field] = why;
    lo["percentile_notes"] = std::move(notes);
    o["latency"] = std::move(lo);
  } else {
    o["latency"] = nullptr;
  }
  o["allocs_per_op"] = util::NumberOrNull(b.allocs_per_op);
  o["bytes_allocated_per_op"] = util::NumberOrNull(b.bytes_allocated_per_op);
  const Counters& c = b.counters;
  o["counters"] = json::object{
      {"available", c.available},
      {"reason", c.reason},
      {"instructions_per_op", util::NumberOrNull(c.instructions_per_op)},
      {"cycles_per_op", util::NumberOrNull(c.cycles_per_op)},
      {"ipc", util::NumberOrNull(c.ipc)},
      {"branch_misses_per_op", util::NumberOrNull(c.branch_misses_per_op)},
      {"l1d_misses_per_op", util::NumberOrNull(c.l1d_misses_per_op)},
      {"llc_misses_per_op", util::NumberOrNull(c.llc_misses_per_op)},
      {"task_clock_ns_per_op", util::NumberOrNull(c.task_clock_ns_per_op)},
      {"context_switches", util::NumberOrNull(c.context_switches)},
      {"page_faults", util::NumberOrNull(c.page_faults)},
      {"hw_running_fraction", util::NumberOrNull(c.hw_running_fraction)},
  };
  json::object extra;
  for (const auto& [k, v] : b.extra) extra[k] = v;
  o["extra"] = std::move(extra);
  json::array threads;
  for (const PinnedThread& t : b.pinning.threads) {
    json::array observed;
    for (const PuSampleCount& c : t.observed) {
      observed.emplace_back(json::object{{"pu_os_index", c.pu_os_index}, {"samples", c.samples}});
    }
    threads.emplace_back(json::object{{"thread", t.thread},
                                      {"pu_os_index", t.pu_os_index},
                                      {"core_index", t.core_index},
                                      {"smt_sibling", t.smt_sibling},
                                      {"observed_pus", std::move(observed)}});
  }
  json::array others;
  for (const ObservedThread& t : b.pinning.others) {
    others.emplace_back(json::object{{"name", t.name},
                                     {"tid", t.tid},
                                     {"last_pu_os_index", t.last_pu_os_index},
                                     {"cpu_ms", t.cpu_ms}});
  }
  o["pinning"] = json::object{{"pinned", b.pinning.pinned},
                              {"reason", b.pinning.reason},
                              {"threads", std::move(threads)},
                              {"measured_by", b.pinning.measured_by},
                              {"other_threads", std::move(others)}};
  return o;
}

json::object DerivedJson(const Derived& d) {
  json::array tax;
  for (const FacadeTax& f : d.facade_tax) {
    tax.emplace_back(json::object{{"kind", f.kind},
                                  {"op", f.op},
                                  {"engine", f.engine},
                                  {"mode", f.mode},
                                  {"numerator", f.numerator},
                                  {"denominator", f.denominator},
                                  {"numerator_median_ns", f.numerator_median_ns},
                                  {"denominator_median_ns", f.denominator_median_ns},
                                  {"ratio", f.ratio}});
  }
  json::array scaling;
  for (const Scaling& s : d.scaling) {
    scaling.emplace_back(json::object{{"tier", s.tier},
                                      {"group", s.group},
                                      {"op", s.op},
                                      {"engine", s.engine},
                                      {"mode", s.mode},
                                      {"params", ParamsJson(s.params)},
                                      {"threads", s.threads},
                                      {"ops_per_sec_1", s.ops_per_sec_1},
                                      {"ops_per_sec_n", s.ops_per_sec_n},
                                      {"speedup", s.speedup},
                                      {"efficiency", s.efficiency}});
  }
  return json::object{{"facade_tax", std::move(tax)}, {"scaling", std::move(scaling)}};
}

}  // namespace

json::value ToJson(const Baseline& b) {
  json::object o;
  o["schema_version"] = b.schema_version;
  o["run_id"] = b.run_id;
  o["created_utc"] = b.created_utc;
  o["git"] = json::object{
      {"commit", b.git.commit}, {"branch", b.git.branch}, {"dirty", OptBool(b.git.dirty)}};
  o["environment"] = b.environment;
  o["config"] = json::object{{"suite", b.config.suite},
                             {"engines", Strings(b.config.engines)},
                             {"modes", Strings(b.config.modes)},
                             {"repetitions", b.config.repetitions},
                             {"seed", b.config.seed},
                             {"cores", b.config.cores}};
  if (!b.config.engine_kinds.empty()) {
    json::object kinds;
    for (const auto& [label, kind] : b.config.engine_kinds) kinds[label] = kind;
    o["config"].get_object()["engine_kinds"] = std::move(kinds);
  }
  json::array benches;
  for (const BenchmarkResult& r : b.benchmarks) benches.emplace_back(BenchmarkJson(r));
  o["benchmarks"] = std::move(benches);
  o["derived"] = DerivedJson(b.derived);
  if (!b.servers.empty()) o["servers"] = b.servers;
  if (!b.workloads.empty()) o["workloads"] = b.workloads;
  return o;
}

Status WriteBaselineFile(const Baseline& baseline, const std::string& path) {
  const std::string text = util::JsonFileText(ToJson(baseline));
  // "x": a run folder is written once; never overwrite an existing baseline.
  std::FILE* f = std::fopen(path.c_str(), "wx");
  if (f == nullptr) {
    return Status::IOError(path +
                           ": cannot create (exists or not writable): " + std::strerror(errno));
  }
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const bool closed = std::fclose(f) == 0;
  if (!ok || !closed) return Status::IOError(path + ": write failed");
  return Status::OK();
}

Status AttachServers(const std::string& path, const json::object& servers) {
  STATELAB_ASSIGN_OR_RETURN(json::value doc, util::LoadJsonFile(path));
  if (!doc.is_object()) return Status::InvalidArgument(path + ": not a JSON object");
  doc.get_object()["servers"] = servers;
  STATELAB_RETURN_IF_ERROR(FromJson(doc, path).status());  // the file must stay readable
  return util::WriteFile(path, util::JsonFileText(doc));
}

}  // namespace statelab::harness
