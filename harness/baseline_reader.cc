// Reading baseline.json strictly (docs/baseline_schema.md): every required field present with its
// type, so a reader never mistakes a missing value for 0.

#include <cstdint>
#include <string>
#include <vector>

#include "harness/baseline.h"
#include "util/json.h"

namespace statelab::harness {
namespace json = boost::json;
namespace {

// Walks a parsed document. The first problem is kept as InvalidArgument "<source>: <path>:
// <problem>"; from then on every helper returns an empty value without looking, so the walk ends
// quickly and without a check after each step, and Read() returns that first problem.
// Not synchronized; one per document.
class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  Result<Baseline> Read(const json::value& v) {
    Baseline b = ReadBaseline(v);
    if (!error_.ok()) return error_;
    return b;
  }

 private:
  bool failed() const { return !error_.ok(); }

  void Fail(const std::string& path, std::string_view problem) {
    if (failed()) return;  // later problems follow from the first
    std::string msg(source_);
    msg += ": ";
    msg += path.empty() ? std::string("(document)") : path;
    msg += ": ";
    msg += problem;
    error_ = Status::InvalidArgument(msg);
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

  void WrongType(const std::string& path, std::string_view want, const json::value& got) {
    Fail(path, "expected " + std::string(want) + ", got " + std::string(KindName(got)));
  }

  // What the helpers hand out after a failure.
  static const json::value& NoValue() {
    static const json::value kNull;
    return kNull;
  }
  static const json::object& NoObject() {
    static const json::object kEmpty;
    return kEmpty;
  }
  static const json::array& NoArray() {
    static const json::array kEmpty;
    return kEmpty;
  }

  const json::object& AsObject(const json::value& v, const std::string& path) {
    if (failed()) return NoObject();
    if (!v.is_object()) {
      WrongType(path, "object", v);
      return NoObject();
    }
    return v.get_object();
  }
  const json::array& AsArray(const json::value& v, const std::string& path) {
    if (failed()) return NoArray();
    if (!v.is_array()) {
      WrongType(path, "array", v);
      return NoArray();
    }
    return v.get_array();
  }

  const json::value& Required(const json::object& o, std::string_view key,
                              const std::string& path) {
    if (failed()) return NoValue();
    const json::value* v = o.if_contains(key);
    if (v == nullptr) {
      Fail(Join(path, key), "missing required field");
      return NoValue();
    }
    return *v;
  }

  const json::object& Object(const json::object& o, std::string_view key, const std::string& path) {
    return AsObject(Required(o, key, path), Join(path, key));
  }
  const json::array& Array(const json::object& o, std::string_view key, const std::string& path) {
    return AsArray(Required(o, key, path), Join(path, key));
  }

  std::string String(const json::value& v, const std::string& path) {
    if (failed()) return {};
    if (!v.is_string()) {
      WrongType(path, "string", v);
      return {};
    }
    return std::string(v.get_string());
  }
  std::string String(const json::object& o, std::string_view key, const std::string& path) {
    return String(Required(o, key, path), Join(path, key));
  }

  bool Bool(const json::object& o, std::string_view key, const std::string& path) {
    const json::value& v = Required(o, key, path);
    if (failed()) return false;
    if (!v.is_bool()) {
      WrongType(Join(path, key), "bool", v);
      return false;
    }
    return v.get_bool();
  }

  double Number(const json::value& v, const std::string& path) {
    if (failed()) return 0;
    if (v.is_double()) return v.get_double();
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    WrongType(path, "number", v);
    return 0;
  }
  double Number(const json::object& o, std::string_view key, const std::string& path) {
    return Number(Required(o, key, path), Join(path, key));
  }

  int64_t Int(const json::object& o, std::string_view key, const std::string& path) {
    const json::value& v = Required(o, key, path);
    if (failed()) return 0;
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
      return static_cast<int64_t>(v.get_uint64());
    }
    WrongType(Join(path, key), "integer", v);
    return 0;
  }

  uint64_t Uint(const json::object& o, std::string_view key, const std::string& path) {
    const json::value& v = Required(o, key, path);
    if (failed()) return 0;
    if (v.is_uint64()) return v.get_uint64();
    if (v.is_int64() && v.get_int64() >= 0) return static_cast<uint64_t>(v.get_int64());
    WrongType(Join(path, key), "unsigned integer", v);
    return 0;
  }

  // Optional: absent or null -> std::nullopt; otherwise must be a number.
  std::optional<double> OptNumber(const json::object& o, std::string_view key,
                                  const std::string& path) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    return Number(*v, Join(path, key));
  }

  // Required key whose value may be null.
  std::optional<double> NullableNumber(const json::object& o, std::string_view key,
                                       const std::string& path) {
    const json::value& v = Required(o, key, path);
    if (v.is_null()) return std::nullopt;
    return Number(v, Join(path, key));
  }

  std::vector<std::string> Strings(const json::object& o, std::string_view key,
                                   const std::string& path) {
    const json::array& a = Array(o, key, path);
    std::vector<std::string> out;
    for (size_t i = 0; i < a.size(); ++i) out.push_back(String(a[i], Index(Join(path, key), i)));
    return out;
  }

  Params ReadParams(const json::object& o, std::string_view key, const std::string& path) {
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

  BenchmarkResult ReadBenchmark(const json::value& v, const std::string& path) {
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
      for (const LatencyPercentile& p : kLatencyPercentiles) {
        out.*p.field = NullableNumber(l, p.name, lp);
      }
      out.max_ns = Number(l, "max_ns", lp);
      out.samples = Int(l, "samples", lp);
      out.timer_overhead_ns = Number(l, "timer_overhead_ns", lp);
      // Absent in files written before percentiles could be null.
      if (const json::value* notes = l.if_contains("percentile_notes"); notes != nullptr) {
        const std::string np = Join(lp, "percentile_notes");
        for (const auto& kv : AsObject(*notes, np)) {
          out.percentile_notes[std::string(kv.key())] = String(kv.value(), Join(np, kv.key()));
        }
      }
      for (const LatencyPercentile& p : kLatencyPercentiles) {
        if (!(out.*p.field) && !out.percentile_notes.contains(std::string(p.name))) {
          Fail(Join(lp, p.name), "null without a reason in percentile_notes");
        }
      }
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
      PinnedThread& pt = b.pinning.threads.emplace_back();
      pt.thread = Int(t, "thread", ip);
      pt.pu_os_index = Int(t, "pu_os_index", ip);
      pt.core_index = Int(t, "core_index", ip);
      pt.smt_sibling = Bool(t, "smt_sibling", ip);
      if (t.if_contains("observed_pus") != nullptr) {
        const std::string op = Join(ip, "observed_pus");
        const json::array& observed = Array(t, "observed_pus", ip);
        for (size_t j = 0; j < observed.size(); ++j) {
          const std::string jp = Index(op, j);
          const json::object& c = AsObject(observed[j], jp);
          pt.observed.push_back({Int(c, "pu_os_index", jp), Int(c, "samples", jp)});
        }
      }
    }
    if (p.if_contains("measured_by") != nullptr) {
      b.pinning.measured_by = String(p, "measured_by", pp);
    }
    if (p.if_contains("other_threads") != nullptr) {
      const std::string op = Join(pp, "other_threads");
      const json::array& others = Array(p, "other_threads", pp);
      for (size_t i = 0; i < others.size(); ++i) {
        const std::string ip = Index(op, i);
        const json::object& t = AsObject(others[i], ip);
        b.pinning.others.push_back({String(t, "name", ip), Int(t, "tid", ip),
                                    Int(t, "last_pu_os_index", ip), Number(t, "cpu_ms", ip)});
      }
    }
    return b;
  }

  Derived ReadDerived(const json::object& o, const std::string& path) {
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

  Baseline ReadBaseline(const json::value& v) {
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
    if (c.if_contains("engine_kinds") != nullptr) {
      for (const auto& kv : Object(c, "engine_kinds", "config")) {
        const std::string kp = Join("config.engine_kinds", kv.key());
        std::string kind = kv.value().is_string() ? std::string(kv.value().get_string()) : "";
        if (kind != kKindEngine && kind != kKindPeer && kind != kKindHarness) {
          Fail(kp, "must be \"engine\", \"peer\" or \"harness\"");
        }
        b.config.engine_kinds[std::string(kv.key())] = std::move(kind);
      }
    }
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
    if (const json::value* w = o.if_contains("workloads"); w != nullptr && !w->is_null()) {
      b.workloads = ReadWorkloads(*w, "workloads");
    }
    return b;
  }

  // Each workload: file, file_sha256, definition_sha256 (strings) and properties (strings).
  json::object ReadWorkloads(const json::value& v, const std::string& path) {
    const json::object& o = AsObject(v, path);
    for (const json::key_value_pair& kv : o) {
      const std::string at = Join(path, kv.key());
      const json::object& def = AsObject(kv.value(), at);
      for (std::string_view key : {"file", "file_sha256", "definition_sha256"}) {
        (void)String(def, key, at);
      }
      for (const json::key_value_pair& p : Object(def, "properties", at)) {
        (void)String(p.value(), Join(Join(at, "properties"), p.key()));
      }
    }
    return failed() ? json::object() : o;
  }

  // Checks the fields the reports read; rows may carry more keys.
  json::object ReadServers(const json::value& v, const std::string& path) {
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
      // Absent in files written before the suite measured several client counts: one client.
      if (r.if_contains("clients") != nullptr && Int(r, "clients", rp) < 1) {
        Fail(Join(rp, "clients"), "must be >= 1");
      }
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

  std::string_view source_;
  Status error_;
};

}  // namespace

Result<Baseline> FromJson(const json::value& v, std::string_view source) {
  return Reader(source).Read(v);
}

Result<Baseline> ParseBaseline(std::string_view text, std::string_view source) {
  STATELAB_ASSIGN_OR_RETURN(const json::value doc, util::ParseJsonExact(text, source));
  return FromJson(doc, source);
}

Result<Baseline> ReadBaselineFile(const std::string& path) {
  STATELAB_ASSIGN_OR_RETURN(const std::string text, util::ReadFile(path));
  return ParseBaseline(text, path);
}

}  // namespace statelab::harness
