#include "harness/baseline.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "harness/histogram.h"
#include "util/json.h"
#include "util/stats.h"

namespace statelab::harness {
namespace json = boost::json;
namespace {

// ---------------------------------------------------------------- writing

json::value Opt(const std::optional<double>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

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
                            {"stddev_ns", Opt(b.stats.stddev_ns)},
                            {"cv", Opt(b.stats.cv)},
                            {"min_ns", b.stats.min_ns},
                            {"max_ns", b.stats.max_ns}};
  if (b.latency) {
    const Latency& l = *b.latency;
    o["latency"] = json::object{{"p50_ns", l.p50_ns},   {"p90_ns", l.p90_ns},
                                {"p95_ns", l.p95_ns},   {"p99_ns", l.p99_ns},
                                {"p999_ns", l.p999_ns}, {"max_ns", l.max_ns},
                                {"samples", l.samples}, {"timer_overhead_ns", l.timer_overhead_ns}};
  } else {
    o["latency"] = nullptr;
  }
  o["allocs_per_op"] = Opt(b.allocs_per_op);
  o["bytes_allocated_per_op"] = Opt(b.bytes_allocated_per_op);
  const Counters& c = b.counters;
  o["counters"] = json::object{
      {"available", c.available},
      {"reason", c.reason},
      {"instructions_per_op", Opt(c.instructions_per_op)},
      {"cycles_per_op", Opt(c.cycles_per_op)},
      {"ipc", Opt(c.ipc)},
      {"branch_misses_per_op", Opt(c.branch_misses_per_op)},
      {"l1d_misses_per_op", Opt(c.l1d_misses_per_op)},
      {"llc_misses_per_op", Opt(c.llc_misses_per_op)},
      {"task_clock_ns_per_op", Opt(c.task_clock_ns_per_op)},
      {"context_switches", Opt(c.context_switches)},
      {"page_faults", Opt(c.page_faults)},
      {"hw_running_fraction", Opt(c.hw_running_fraction)},
  };
  json::object extra;
  for (const auto& [k, v] : b.extra) extra[k] = v;
  o["extra"] = std::move(extra);
  json::array threads;
  for (const PinnedThread& t : b.pinning.threads) {
    threads.emplace_back(json::object{{"thread", t.thread},
                                      {"pu_os_index", t.pu_os_index},
                                      {"core_index", t.core_index},
                                      {"smt_sibling", t.smt_sibling}});
  }
  o["pinning"] = json::object{
      {"pinned", b.pinning.pinned}, {"reason", b.pinning.reason}, {"threads", std::move(threads)}};
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

// ---------------------------------------------------------------- reading

// Walks a parsed document, failing with "<source>: <path>: <problem>".
class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  [[noreturn]] void Fail(const std::string& path, std::string_view problem) const {
    std::string msg(source_);
    msg += ": ";
    msg += path.empty() ? std::string("(document)") : path;
    msg += ": ";
    msg += problem;
    throw BaselineError(msg);
  }

  static std::string Join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }
  static std::string Index(const std::string& path, size_t i) {
    return path + "[" + std::to_string(i) + "]";
  }

  static std::string_view KindName(const json::value& v) {
    switch (v.kind()) {
      case json::kind::null:
        return "null";
      case json::kind::bool_:
        return "bool";
      case json::kind::int64:
      case json::kind::uint64:
        return "integer";
      case json::kind::double_:
        return "number";
      case json::kind::string:
        return "string";
      case json::kind::array:
        return "array";
      case json::kind::object:
        return "object";
    }
    return "?";
  }

  [[noreturn]] void WrongType(const std::string& path, std::string_view want,
                              const json::value& got) const {
    Fail(path, "expected " + std::string(want) + ", got " + std::string(KindName(got)));
  }

  const json::object& AsObject(const json::value& v, const std::string& path) const {
    if (!v.is_object()) WrongType(path, "object", v);
    return v.get_object();
  }
  const json::array& AsArray(const json::value& v, const std::string& path) const {
    if (!v.is_array()) WrongType(path, "array", v);
    return v.get_array();
  }

  const json::value& Required(const json::object& o, std::string_view key,
                              const std::string& path) const {
    const json::value* v = o.if_contains(key);
    if (v == nullptr) Fail(Join(path, key), "missing required field");
    return *v;
  }

  const json::object& Object(const json::object& o, std::string_view key,
                             const std::string& path) const {
    return AsObject(Required(o, key, path), Join(path, key));
  }
  const json::array& Array(const json::object& o, std::string_view key,
                           const std::string& path) const {
    return AsArray(Required(o, key, path), Join(path, key));
  }

  std::string String(const json::value& v, const std::string& path) const {
    if (!v.is_string()) WrongType(path, "string", v);
    return std::string(v.get_string());
  }
  std::string String(const json::object& o, std::string_view key, const std::string& path) const {
    return String(Required(o, key, path), Join(path, key));
  }

  bool Bool(const json::object& o, std::string_view key, const std::string& path) const {
    const json::value& v = Required(o, key, path);
    if (!v.is_bool()) WrongType(Join(path, key), "bool", v);
    return v.get_bool();
  }

  double Number(const json::value& v, const std::string& path) const {
    if (v.is_double()) return v.get_double();
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    WrongType(path, "number", v);
  }
  double Number(const json::object& o, std::string_view key, const std::string& path) const {
    return Number(Required(o, key, path), Join(path, key));
  }

  int64_t Int(const json::object& o, std::string_view key, const std::string& path) const {
    const json::value& v = Required(o, key, path);
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
      return static_cast<int64_t>(v.get_uint64());
    }
    WrongType(Join(path, key), "integer", v);
  }

  uint64_t Uint(const json::object& o, std::string_view key, const std::string& path) const {
    const json::value& v = Required(o, key, path);
    if (v.is_uint64()) return v.get_uint64();
    if (v.is_int64() && v.get_int64() >= 0) return static_cast<uint64_t>(v.get_int64());
    WrongType(Join(path, key), "unsigned integer", v);
  }

  // Optional: absent or null -> std::nullopt; otherwise must be a number.
  std::optional<double> OptNumber(const json::object& o, std::string_view key,
                                  const std::string& path) const {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    return Number(*v, Join(path, key));
  }

  // Required key whose value may be null.
  std::optional<double> NullableNumber(const json::object& o, std::string_view key,
                                       const std::string& path) const {
    const json::value& v = Required(o, key, path);
    if (v.is_null()) return std::nullopt;
    return Number(v, Join(path, key));
  }

  std::vector<std::string> Strings(const json::object& o, std::string_view key,
                                   const std::string& path) const {
    const json::array& a = Array(o, key, path);
    std::vector<std::string> out;
    for (size_t i = 0; i < a.size(); ++i) out.push_back(String(a[i], Index(Join(path, key), i)));
    return out;
  }

  Params ReadParams(const json::object& o, std::string_view key, const std::string& path) const {
    const std::string p = Join(path, key);
    Params params;
    for (const auto& kv : Object(o, key, path)) {
      const std::string kp = Join(p, kv.key());
      if (kv.value().is_string()) {
        params[std::string(kv.key())] = std::string(kv.value().get_string());
      } else if (kv.value().is_number()) {
        params[std::string(kv.key())] = Number(kv.value(), kp);
      } else {
        WrongType(kp, "number or string", kv.value());
      }
    }
    return params;
  }

  BenchmarkResult ReadBenchmark(const json::value& v, const std::string& path) const {
    const json::object& o = AsObject(v, path);
    BenchmarkResult b;
    b.name = String(o, "name", path);
    b.tier = String(o, "tier", path);
    b.group = String(o, "group", path);
    b.op = String(o, "op", path);
    b.engine = String(o, "engine", path);
    if (o.if_contains("kind") != nullptr) {
      b.kind = String(o, "kind", path);
      if (b.kind != kKindEngine && b.kind != kKindPeer && b.kind != kKindHarness) {
        Fail(Join(path, "kind"),
             "must be \"engine\", \"peer\" or \"harness\", got \"" + b.kind + "\"");
      }
    }
    b.mode = String(o, "mode", path);
    b.threads = Int(o, "threads", path);
    if (b.threads < 1) Fail(Join(path, "threads"), "must be >= 1");
    b.params = ReadParams(o, "params", path);

    const std::string reps_path = Join(path, "repetitions");
    const json::array& reps = Array(o, "repetitions", path);
    if (reps.empty()) Fail(reps_path, "must hold at least one repetition");
    for (size_t i = 0; i < reps.size(); ++i) {
      const std::string rp = Index(reps_path, i);
      const json::object& r = AsObject(reps[i], rp);
      b.repetitions.push_back(
          {Number(r, "ns_per_op", rp), Number(r, "ops_per_sec", rp), Int(r, "iterations", rp)});
    }

    const std::string sp = Join(path, "stats");
    const json::object& s = Object(o, "stats", path);
    b.stats.mean_ns = Number(s, "mean_ns", sp);
    b.stats.median_ns = Number(s, "median_ns", sp);
    b.stats.stddev_ns = NullableNumber(s, "stddev_ns", sp);
    b.stats.cv = NullableNumber(s, "cv", sp);
    b.stats.min_ns = Number(s, "min_ns", sp);
    b.stats.max_ns = Number(s, "max_ns", sp);

    const json::value& lat = Required(o, "latency", path);
    if (!lat.is_null()) {
      const std::string lp = Join(path, "latency");
      const json::object& l = AsObject(lat, lp);
      Latency out;
      out.p50_ns = Number(l, "p50_ns", lp);
      out.p90_ns = Number(l, "p90_ns", lp);
      out.p95_ns = Number(l, "p95_ns", lp);
      out.p99_ns = Number(l, "p99_ns", lp);
      out.p999_ns = Number(l, "p999_ns", lp);
      out.max_ns = Number(l, "max_ns", lp);
      out.samples = Int(l, "samples", lp);
      out.timer_overhead_ns = Number(l, "timer_overhead_ns", lp);
      b.latency = out;
    }
    b.allocs_per_op = NullableNumber(o, "allocs_per_op", path);
    b.bytes_allocated_per_op = NullableNumber(o, "bytes_allocated_per_op", path);

    const std::string cp = Join(path, "counters");
    const json::object& c = Object(o, "counters", path);
    Counters& k = b.counters;
    k.available = Bool(c, "available", cp);
    k.reason = String(c, "reason", cp);
    k.instructions_per_op = NullableNumber(c, "instructions_per_op", cp);
    k.cycles_per_op = NullableNumber(c, "cycles_per_op", cp);
    k.ipc = NullableNumber(c, "ipc", cp);
    k.branch_misses_per_op = NullableNumber(c, "branch_misses_per_op", cp);
    k.l1d_misses_per_op = NullableNumber(c, "l1d_misses_per_op", cp);
    k.llc_misses_per_op = NullableNumber(c, "llc_misses_per_op", cp);
    k.task_clock_ns_per_op = NullableNumber(c, "task_clock_ns_per_op", cp);
    k.context_switches = NullableNumber(c, "context_switches", cp);
    k.page_faults = NullableNumber(c, "page_faults", cp);
    k.hw_running_fraction = OptNumber(c, "hw_running_fraction", cp);

    const std::string ep = Join(path, "extra");
    for (const auto& kv : Object(o, "extra", path)) {
      b.extra[std::string(kv.key())] = Number(kv.value(), Join(ep, kv.key()));
    }

    const std::string pp = Join(path, "pinning");
    const json::object& p = Object(o, "pinning", path);
    b.pinning.pinned = Bool(p, "pinned", pp);
    b.pinning.reason = String(p, "reason", pp);
    const std::string tp = Join(pp, "threads");
    const json::array& threads = Array(p, "threads", pp);
    for (size_t i = 0; i < threads.size(); ++i) {
      const std::string ip = Index(tp, i);
      const json::object& t = AsObject(threads[i], ip);
      b.pinning.threads.push_back({Int(t, "thread", ip), Int(t, "pu_os_index", ip),
                                   Int(t, "core_index", ip), Bool(t, "smt_sibling", ip)});
    }
    return b;
  }

  Derived ReadDerived(const json::object& o, const std::string& path) const {
    Derived d;
    const std::string fp = Join(path, "facade_tax");
    const json::array& tax = Array(o, "facade_tax", path);
    for (size_t i = 0; i < tax.size(); ++i) {
      const std::string ip = Index(fp, i);
      const json::object& t = AsObject(tax[i], ip);
      d.facade_tax.push_back({String(t, "kind", ip), String(t, "op", ip), String(t, "engine", ip),
                              String(t, "mode", ip), String(t, "numerator", ip),
                              String(t, "denominator", ip), Number(t, "numerator_median_ns", ip),
                              Number(t, "denominator_median_ns", ip), Number(t, "ratio", ip)});
    }
    const std::string sp = Join(path, "scaling");
    const json::array& scaling = Array(o, "scaling", path);
    for (size_t i = 0; i < scaling.size(); ++i) {
      const std::string ip = Index(sp, i);
      const json::object& s = AsObject(scaling[i], ip);
      Scaling row;
      row.tier = String(s, "tier", ip);
      row.group = String(s, "group", ip);
      row.op = String(s, "op", ip);
      row.engine = String(s, "engine", ip);
      row.mode = String(s, "mode", ip);
      row.params = ReadParams(s, "params", ip);
      row.threads = Int(s, "threads", ip);
      row.ops_per_sec_1 = Number(s, "ops_per_sec_1", ip);
      row.ops_per_sec_n = Number(s, "ops_per_sec_n", ip);
      row.speedup = Number(s, "speedup", ip);
      row.efficiency = Number(s, "efficiency", ip);
      d.scaling.push_back(std::move(row));
    }
    return d;
  }

  Baseline ReadBaseline(const json::value& v) const {
    const json::object& o = AsObject(v, "");
    Baseline b;
    b.schema_version = String(o, "schema_version", "");
    if (b.schema_version != kSchemaVersion) {
      Fail("schema_version", "unknown schema_version \"" + b.schema_version +
                                 "\" (this reader understands \"" + std::string(kSchemaVersion) +
                                 "\")");
    }
    b.run_id = String(o, "run_id", "");
    b.created_utc = String(o, "created_utc", "");

    const json::object& g = Object(o, "git", "");
    b.git.commit = String(g, "commit", "git");
    b.git.branch = String(g, "branch", "git");
    const json::value& dirty = Required(g, "dirty", "git");
    if (dirty.is_bool()) {
      b.git.dirty = dirty.get_bool();
    } else if (!dirty.is_null()) {
      WrongType("git.dirty", "bool or null", dirty);
    }

    b.environment = Object(o, "environment", "");

    const json::object& c = Object(o, "config", "");
    b.config.suite = String(c, "suite", "config");
    b.config.engines = Strings(c, "engines", "config");
    b.config.modes = Strings(c, "modes", "config");
    b.config.repetitions = Int(c, "repetitions", "config");
    b.config.seed = Uint(c, "seed", "config");
    b.config.cores = Int(c, "cores", "config");

    const json::array& benches = Array(o, "benchmarks", "");
    for (size_t i = 0; i < benches.size(); ++i) {
      b.benchmarks.push_back(ReadBenchmark(benches[i], Index("benchmarks", i)));
    }
    b.derived = ReadDerived(Object(o, "derived", ""), "derived");
    if (const json::value* servers = o.if_contains("servers");
        servers != nullptr && !servers->is_null()) {
      b.servers = ReadServers(*servers, "servers");
    }
    return b;
  }

  // Checks the fields the reports read; rows may carry more keys.
  json::object ReadServers(const json::value& v, const std::string& path) const {
    const json::object& o = AsObject(v, path);
    (void)Bool(o, "available", path);
    (void)String(o, "reason", path);
    const json::array& results = Array(o, "results", path);
    for (size_t i = 0; i < results.size(); ++i) {
      const std::string rp = Index(Join(path, "results"), i);
      const json::object& r = AsObject(results[i], rp);
      for (std::string_view key : {"server", "engine", "op", "mode", "persistence"}) {
        (void)String(r, key, rp);
      }
      if (Int(r, "pipeline", rp) < 1) Fail(Join(rp, "pipeline"), "must be >= 1");
      (void)Number(r, "ops_per_sec", rp);
      (void)NullableNumber(r, "p50_ns", rp);
      (void)NullableNumber(r, "p99_ns", rp);
    }
    if (o.if_contains("memory") != nullptr) {
      const json::array& memory = Array(o, "memory", path);
      for (size_t i = 0; i < memory.size(); ++i) {
        const std::string mp = Index(Join(path, "memory"), i);
        const json::object& m = AsObject(memory[i], mp);
        (void)String(m, "server", mp);
        (void)String(m, "engine", mp);
        (void)Int(m, "keys", mp);
        (void)Number(m, "rss_bytes_per_key", mp);
      }
    }
    return o;
  }

 private:
  std::string_view source_;
};

// ---------------------------------------------------------------- derived

double MedianOpsPerSec(const BenchmarkResult& b) {
  std::vector<double> v;
  for (const Repetition& r : b.repetitions) v.push_back(r.ops_per_sec);
  return util::Median(v).value_or(0.0);
}

bool Is(const BenchmarkResult& b, std::string_view tier, const TierOp& t) {
  return b.tier == tier && b.group == t.group && b.op == t.op && b.threads == 1 &&
         !b.repetitions.empty();
}

// The lower-tier benchmark matching `num`: same engine, same mode or "n/a", single-threaded.
// Among several (parameter variants), the one with num's params; otherwise the match must be
// unique, since picking one of several would be a guess.
const BenchmarkResult* FindDenominator(std::span<const BenchmarkResult> all,
                                       const BenchmarkResult& num, std::string_view tier,
                                       const TierOp& t) {
  std::vector<const BenchmarkResult*> candidates;
  for (const BenchmarkResult& b : all) {
    if (Is(b, tier, t) && b.engine == num.engine && (b.mode == num.mode || b.mode == "n/a")) {
      candidates.push_back(&b);
    }
  }
  // Prefer the exact mode, then equal params.
  auto score = [&](const BenchmarkResult* b) {
    return (b->mode == num.mode ? 2 : 0) + (b->params == num.params ? 1 : 0);
  };
  if (candidates.empty()) return nullptr;
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](auto* a, auto* b) { return score(a) > score(b); });
  if (candidates.size() > 1 && score(candidates[0]) == score(candidates[1])) return nullptr;
  return candidates[0];
}

}  // namespace

std::string ParamText(const ParamValue& value) {
  if (const std::string* s = std::get_if<std::string>(&value)) return *s;
  const double d = std::get<double>(value);
  if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) {
    return std::to_string(static_cast<int64_t>(d));
  }
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  return std::string(buf, end);
}

std::string ParamsText(const Params& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out += ',';
    out += key + "=" + ParamText(value);
  }
  return out;
}

Stats ComputeStats(std::span<const Repetition> reps) {
  if (reps.empty()) throw std::invalid_argument("ComputeStats: no repetitions");
  std::vector<double> v;
  v.reserve(reps.size());
  for (const Repetition& r : reps) v.push_back(r.ns_per_op);
  Stats s;
  double sum = 0;
  for (double x : v) sum += x;
  const double n = static_cast<double>(v.size());
  s.mean_ns = sum / n;
  s.min_ns = *std::min_element(v.begin(), v.end());
  s.max_ns = *std::max_element(v.begin(), v.end());
  s.median_ns = *util::Median(v);
  if (v.size() >= 2) {
    double sq = 0;
    for (double x : v) sq += (x - s.mean_ns) * (x - s.mean_ns);
    s.stddev_ns = std::sqrt(sq / (n - 1));
    if (s.mean_ns != 0) s.cv = *s.stddev_ns / s.mean_ns;
  }
  return s;
}

std::optional<Latency> LatencyFromHistogram(const Histogram& h, double timer_overhead_ns) {
  if (h.Count() == 0) return std::nullopt;
  Latency l;
  l.p50_ns = static_cast<double>(h.Percentile(50));
  l.p90_ns = static_cast<double>(h.Percentile(90));
  l.p95_ns = static_cast<double>(h.Percentile(95));
  l.p99_ns = static_cast<double>(h.Percentile(99));
  l.p999_ns = static_cast<double>(h.Percentile(99.9));
  l.max_ns = static_cast<double>(h.Max());
  l.samples = static_cast<int64_t>(h.Count());
  l.timer_overhead_ns = timer_overhead_ns;
  return l;
}

Derived ComputeDerived(std::span<const BenchmarkResult> benchmarks,
                       std::span<const FacadeMapping> facade_table) {
  Derived d;
  struct Pair {
    const char* kind;
    const char* num_tier;
    const char* den_tier;
    const std::optional<TierOp> FacadeMapping::*num;
    const std::optional<TierOp> FacadeMapping::*den;
  };
  static constexpr Pair kPairs[] = {
      {"A1/A0", "A1", "A0", &FacadeMapping::a1, &FacadeMapping::a0},
      {"B/A1", "B", "A1", &FacadeMapping::b, &FacadeMapping::a1},
      {"B/A0", "B", "A0", &FacadeMapping::b, &FacadeMapping::a0},
  };
  for (const FacadeMapping& m : facade_table) {
    for (const Pair& p : kPairs) {
      const auto& num_op = m.*(p.num);
      const auto& den_op = m.*(p.den);
      if (!num_op || !den_op) continue;
      for (const BenchmarkResult& num : benchmarks) {
        if (!Is(num, p.num_tier, *num_op)) continue;
        const BenchmarkResult* den = FindDenominator(benchmarks, num, p.den_tier, *den_op);
        if (den == nullptr) continue;
        const double num_median = ComputeStats(num.repetitions).median_ns;
        const double den_median = ComputeStats(den->repetitions).median_ns;
        if (!(den_median > 0)) continue;
        d.facade_tax.push_back({p.kind, m.op, num.engine, num.mode, num.name, den->name, num_median,
                                den_median, num_median / den_median});
      }
    }
  }

  for (const BenchmarkResult& n : benchmarks) {
    if (n.threads <= 1 || n.repetitions.empty()) continue;
    const BenchmarkResult* one = nullptr;
    for (const BenchmarkResult& b : benchmarks) {
      if (b.threads == 1 && b.tier == n.tier && b.group == n.group && b.op == n.op &&
          b.engine == n.engine && b.mode == n.mode && b.params == n.params &&
          !b.repetitions.empty()) {
        one = &b;
        break;
      }
    }
    if (one == nullptr) continue;
    const double t1 = MedianOpsPerSec(*one);
    const double tn = MedianOpsPerSec(n);
    if (!(t1 > 0)) continue;
    Scaling s;
    s.tier = n.tier;
    s.group = n.group;
    s.op = n.op;
    s.engine = n.engine;
    s.mode = n.mode;
    s.params = n.params;
    s.threads = n.threads;
    s.ops_per_sec_1 = t1;
    s.ops_per_sec_n = tn;
    s.speedup = tn / t1;
    s.efficiency = s.speedup / static_cast<double>(n.threads);
    d.scaling.push_back(std::move(s));
  }
  return d;
}

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
  json::array benches;
  for (const BenchmarkResult& r : b.benchmarks) benches.emplace_back(BenchmarkJson(r));
  o["benchmarks"] = std::move(benches);
  o["derived"] = DerivedJson(b.derived);
  if (!b.servers.empty()) o["servers"] = b.servers;
  return o;
}

Baseline FromJson(const json::value& v, std::string_view source) {
  return Reader(source).ReadBaseline(v);
}

void WriteBaselineFile(const Baseline& baseline, const std::string& path) {
  const std::string text = util::PrettyJson(ToJson(baseline)) + "\n";
  // "x": a run folder is written once; never overwrite an existing baseline.
  std::FILE* f = std::fopen(path.c_str(), "wx");
  if (f == nullptr) {
    throw BaselineError(path + ": cannot create (exists or not writable): " + std::strerror(errno));
  }
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const bool closed = std::fclose(f) == 0;
  if (!ok || !closed) throw BaselineError(path + ": write failed");
}

Baseline ParseBaseline(std::string_view text, std::string_view source) {
  Result<json::value> doc = util::ParseJsonExact(text, source);
  if (!doc) throw BaselineError(std::string(doc.error().message()));
  return FromJson(*doc, source);
}

namespace {
std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw BaselineError(path + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

Baseline ReadBaselineFile(const std::string& path) { return ParseBaseline(ReadText(path), path); }

void AttachServers(const std::string& path, const json::object& servers) {
  Result<json::value> parsed = util::ParseJsonExact(ReadText(path), path);
  if (!parsed) throw BaselineError(std::string(parsed.error().message()));
  json::value doc = std::move(*parsed);
  if (!doc.is_object()) throw BaselineError(path + ": not a JSON object");
  doc.get_object()["servers"] = servers;
  (void)FromJson(doc, path);  // the file must stay readable
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << util::PrettyJson(doc) << "\n";
    if (!out.flush()) throw BaselineError(tmp + ": write failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    throw BaselineError(path + ": cannot replace: " + std::strerror(errno));
  }
}

}  // namespace statelab::harness
