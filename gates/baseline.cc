#include "gates/baseline.h"

#include <algorithm>
#include <cmath>
#include <span>

#include "gates/json_util.h"
#include "gates/stats.h"

namespace statelab::gates {

namespace json = boost::json;

std::vector<double> Benchmark::NsPerOp() const {
  std::vector<double> out;
  out.reserve(repetitions.size());
  for (const auto& r : repetitions) out.push_back(r.ns_per_op);
  return out;
}

std::vector<double> Benchmark::OpsPerSec() const {
  std::vector<double> out;
  out.reserve(repetitions.size());
  for (const auto& r : repetitions) out.push_back(r.ops_per_sec);
  return out;
}

std::optional<double> Benchmark::MedianNs() const {
  const auto xs = NsPerOp();
  if (!xs.empty()) return Median(xs);
  return AsNumber(FindPath(raw, "stats.median_ns"));
}

std::string Benchmark::ParamsText() const {
  std::string out;
  for (const auto& kv : params) {
    if (!out.empty()) out += ",";
    out += std::string(kv.key()) + "=";
    if (kv.value().is_string()) {
      out += std::string(kv.value().get_string());
    } else {
      out += json::serialize(kv.value());
    }
  }
  return out;
}

std::string Benchmark::CellKey() const {
  return tier + "/" + group + "/" + op + "/" + mode + "/t" + std::to_string(threads) + "/" +
         ParamsText();
}

int Baseline::UsableCores() const {
  int cores = config_cores;
  if (physical_cores.has_value() && *physical_cores > 0) {
    cores = cores > 0 ? std::min(cores, *physical_cores) : *physical_cores;
  }
  return cores;
}

std::string Baseline::Label() const {
  // run_<YYYY-MM-DD>_<HH-MM-SS>_<commit>[_<label>]: the label is everything after the 4th '_'.
  std::size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    pos = run_id.find('_', pos);
    if (pos == std::string::npos) return "";
    ++pos;
  }
  return run_id.substr(pos);
}

const json::object* Baseline::Environment() const {
  const json::value* env = FindPath(doc, "environment");
  return env != nullptr && env->is_object() ? &env->get_object() : nullptr;
}

const Benchmark* Baseline::Find(std::string_view name) const {
  for (const auto& b : benchmarks) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

namespace {

// Collects the first error with its field path.
class Checker {
 public:
  explicit Checker(std::string_view source) : source_(source) {}

  bool Fail(std::string_view path, std::string_view problem) {
    if (error_.empty()) error_ = source_ + ": " + std::string(path) + ": " + std::string(problem);
    return false;
  }
  const std::string& error() const { return error_; }

  const json::value* Required(const json::object& o, std::string_view key,
                              const std::string& path) {
    auto it = o.find(key);
    if (it == o.end()) {
      Fail(path, "missing required field");
      return nullptr;
    }
    return &it->value();
  }

  const json::object* Object(const json::object& o, std::string_view key, const std::string& path) {
    const json::value* v = Required(o, key, path);
    if (v == nullptr) return nullptr;
    if (!v->is_object()) {
      Fail(path, "expected object, got " + std::string(KindName(*v)));
      return nullptr;
    }
    return &v->get_object();
  }

  bool String(const json::object& o, std::string_view key, const std::string& path,
              std::string* out) {
    const json::value* v = Required(o, key, path);
    if (v == nullptr) return false;
    if (!v->is_string()) return Fail(path, "expected string, got " + std::string(KindName(*v)));
    *out = std::string(v->get_string());
    return true;
  }

  bool Number(const json::object& o, std::string_view key, const std::string& path, double* out) {
    const json::value* v = Required(o, key, path);
    if (v == nullptr) return false;
    const auto n = AsNumber(v);
    if (!n.has_value()) return Fail(path, "expected number, got " + std::string(KindName(*v)));
    *out = *n;
    return true;
  }

  bool Int(const json::object& o, std::string_view key, const std::string& path, int64_t* out) {
    const json::value* v = Required(o, key, path);
    if (v == nullptr) return false;
    if (v->is_int64()) {
      *out = v->get_int64();
    } else if (v->is_uint64()) {
      *out = static_cast<int64_t>(v->get_uint64());
    } else if (v->is_double() && std::floor(v->get_double()) == v->get_double()) {
      *out = static_cast<int64_t>(v->get_double());
    } else {
      return Fail(path, "expected integer, got " + std::string(KindName(*v)));
    }
    return true;
  }

  bool StringList(const json::object& o, std::string_view key, const std::string& path,
                  std::vector<std::string>* out) {
    const json::value* v = Required(o, key, path);
    if (v == nullptr) return false;
    if (!v->is_array()) return Fail(path, "expected array, got " + std::string(KindName(*v)));
    for (std::size_t i = 0; i < v->get_array().size(); ++i) {
      const auto& e = v->get_array()[i];
      if (!e.is_string()) {
        return Fail(path + "[" + std::to_string(i) + "]",
                    "expected string, got " + std::string(KindName(e)));
      }
      out->emplace_back(e.get_string());
    }
    return true;
  }

  // Optional number: absent or null is fine, anything else must be a number.
  bool OptionalNumber(const json::object& o, std::string_view key, const std::string& path) {
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) return true;
    if (!AsNumber(&it->value()).has_value()) {
      return Fail(path, "expected number or null, got " + std::string(KindName(it->value())));
    }
    return true;
  }

 private:
  std::string source_;
  std::string error_;
};

bool ParseBenchmark(const json::value& v, const std::string& path, Checker* c, Benchmark* b) {
  if (!v.is_object()) return c->Fail(path, "expected object, got " + std::string(KindName(v)));
  const json::object& o = v.get_object();
  if (!c->String(o, "name", path + ".name", &b->name)) return false;
  if (!c->String(o, "tier", path + ".tier", &b->tier)) return false;
  if (!c->String(o, "group", path + ".group", &b->group)) return false;
  if (!c->String(o, "op", path + ".op", &b->op)) return false;
  if (!c->String(o, "engine", path + ".engine", &b->engine)) return false;
  if (!c->String(o, "mode", path + ".mode", &b->mode)) return false;
  int64_t threads = 0;
  if (!c->Int(o, "threads", path + ".threads", &threads)) return false;
  if (threads < 1) return c->Fail(path + ".threads", "must be >= 1");
  b->threads = static_cast<int>(threads);
  const json::object* params = c->Object(o, "params", path + ".params");
  if (params == nullptr) return false;
  b->params = *params;

  const json::value* reps = c->Required(o, "repetitions", path + ".repetitions");
  if (reps == nullptr) return false;
  if (!reps->is_array()) {
    return c->Fail(path + ".repetitions", "expected array, got " + std::string(KindName(*reps)));
  }
  if (reps->get_array().empty()) return c->Fail(path + ".repetitions", "empty (need at least one)");
  for (std::size_t i = 0; i < reps->get_array().size(); ++i) {
    const std::string rp = path + ".repetitions[" + std::to_string(i) + "]";
    const auto& r = reps->get_array()[i];
    if (!r.is_object()) return c->Fail(rp, "expected object, got " + std::string(KindName(r)));
    Repetition rep;
    if (!c->Number(r.get_object(), "ns_per_op", rp + ".ns_per_op", &rep.ns_per_op)) return false;
    if (!c->Number(r.get_object(), "ops_per_sec", rp + ".ops_per_sec", &rep.ops_per_sec)) {
      return false;
    }
    if (!c->Int(r.get_object(), "iterations", rp + ".iterations", &rep.iterations)) return false;
    b->repetitions.push_back(rep);
  }

  const json::object* stats = c->Object(o, "stats", path + ".stats");
  if (stats == nullptr) return false;
  double unused = 0;
  if (!c->Number(*stats, "median_ns", path + ".stats.median_ns", &unused)) return false;
  if (!c->Number(*stats, "mean_ns", path + ".stats.mean_ns", &unused)) return false;
  for (const char* k : {"stddev_ns", "cv", "min_ns", "max_ns"}) {
    if (!c->OptionalNumber(*stats, k, path + ".stats." + k)) return false;
  }
  auto lat = o.find("latency");
  if (lat != o.end() && !lat->value().is_null()) {
    if (!lat->value().is_object()) {
      return c->Fail(path + ".latency",
                     "expected object or null, got " + std::string(KindName(lat->value())));
    }
    for (const char* k : {"p50_ns", "p90_ns", "p95_ns", "p99_ns", "p999_ns", "max_ns"}) {
      if (!c->OptionalNumber(lat->value().get_object(), k, path + ".latency." + k)) return false;
    }
  }
  if (!c->OptionalNumber(o, "allocs_per_op", path + ".allocs_per_op")) return false;
  if (!c->OptionalNumber(o, "bytes_allocated_per_op", path + ".bytes_allocated_per_op")) {
    return false;
  }
  auto extra = o.find("extra");
  if (extra != o.end() && !extra->value().is_object()) {
    return c->Fail(path + ".extra",
                   "expected object, got " + std::string(KindName(extra->value())));
  }
  b->raw = o;
  return true;
}

// Environment fields are optional in practice (null = could not be read); the nested layout of
// docs/baseline_schema.md is read first, flat spellings second.
void ReadEnvironment(const json::object& env, Baseline* b) {
  b->hostname = AsString(FindPath(env, "hostname")).value_or("");
  b->cpu_model = AsString(FindPath(env, "cpu.model"))
                     .value_or(AsString(FindPath(env, "cpu_model")).value_or(""));
  auto cores = AsNumber(FindPath(env, "cpu.cores"));
  if (!cores) cores = AsNumber(FindPath(env, "cores"));
  if (cores) b->physical_cores = static_cast<int>(*cores);
  if (auto pus = AsNumber(FindPath(env, "cpu.pus"))) b->pus = static_cast<int>(*pus);
  b->reference_match = AsBool(FindPath(env, "reference_platform.match")).value_or(false);
  b->reference_reasons = AsStringList(FindPath(env, "reference_platform.reasons"));
  if (auto r = AsString(FindPath(env, "reference_platform.reason")); r && !r->empty()) {
    b->reference_reasons.push_back(*r);
  }
  if (FindPath(env, "reference_platform.match") == nullptr) {
    b->reference_reasons.push_back("baseline does not record environment.reference_platform.match");
  }
  auto valid = AsBool(FindPath(env, "baseline_validity.valid_as_baseline"));
  if (!valid) valid = AsBool(FindPath(env, "valid_as_baseline"));
  b->valid_as_baseline = valid.value_or(false);
  b->validity_reasons = AsStringList(FindPath(env, "baseline_validity.reasons"));
  if (!valid) b->validity_reasons.push_back("validity not recorded");
  b->warnings = AsStringList(FindPath(env, "warnings"));
}

}  // namespace

bool ParseBaseline(std::string_view text, std::string_view source, Baseline* out,
                   std::string* error) {
  json::value root;
  if (!ParseJson(text, source, &root, error)) return false;
  Checker c(source);
  if (!root.is_object()) {
    c.Fail("(top level)", "expected object, got " + std::string(KindName(root)));
    *error = c.error();
    return false;
  }
  const json::object& o = root.get_object();
  Baseline b;
  b.path = std::string(source);
  auto fail = [&]() {
    *error = c.error();
    return false;
  };
  if (!c.String(o, "schema_version", "schema_version", &b.schema_version)) return fail();
  if (b.schema_version != kBaselineSchemaVersion) {
    c.Fail("schema_version", "unsupported value \"" + b.schema_version +
                                 "\" (this reader knows \"" + std::string(kBaselineSchemaVersion) +
                                 "\")");
    return fail();
  }
  if (!c.String(o, "run_id", "run_id", &b.run_id)) return fail();
  if (!c.String(o, "created_utc", "created_utc", &b.created_utc)) return fail();
  const json::object* git = c.Object(o, "git", "git");
  if (git == nullptr || !c.String(*git, "commit", "git.commit", &b.git_commit)) return fail();
  b.git_branch = AsString(FindPath(*git, "branch")).value_or("unknown");
  b.git_dirty = AsBool(FindPath(*git, "dirty"));
  const json::object* env = c.Object(o, "environment", "environment");
  if (env == nullptr) return fail();
  const json::object* config = c.Object(o, "config", "config");
  if (config == nullptr) return fail();
  if (!c.String(*config, "suite", "config.suite", &b.suite)) return fail();
  if (!c.StringList(*config, "engines", "config.engines", &b.engines)) return fail();
  if (!c.StringList(*config, "modes", "config.modes", &b.modes)) return fail();
  int64_t n = 0;
  if (!c.Int(*config, "repetitions", "config.repetitions", &n)) return fail();
  b.repetitions = static_cast<int>(n);
  if (!c.Int(*config, "cores", "config.cores", &n)) return fail();
  b.config_cores = static_cast<int>(n);

  const json::value* benches = c.Required(o, "benchmarks", "benchmarks");
  if (benches == nullptr) return fail();
  if (!benches->is_array()) {
    c.Fail("benchmarks", "expected array, got " + std::string(KindName(*benches)));
    return fail();
  }
  for (std::size_t i = 0; i < benches->get_array().size(); ++i) {
    Benchmark bench;
    if (!ParseBenchmark(benches->get_array()[i], "benchmarks[" + std::to_string(i) + "]", &c,
                        &bench)) {
      return fail();
    }
    b.benchmarks.push_back(std::move(bench));
  }
  ReadEnvironment(*env, &b);
  b.doc = o;
  *out = std::move(b);
  return true;
}

bool LoadBaseline(const std::string& path, Baseline* out, std::string* error) {
  std::string text;
  if (!ReadFile(path, &text, error)) return false;
  return ParseBaseline(text, path, out, error);
}

namespace {

constexpr std::string_view kStatsNames[] = {"mean_ns", "median_ns", "stddev_ns",
                                            "cv",      "min_ns",    "max_ns"};
constexpr std::string_view kLatencyNames[] = {"p50_ns", "p90_ns", "p95_ns", "p99_ns", "p999_ns"};

bool In(std::string_view s, std::span<const std::string_view> set) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

}  // namespace

bool IsKnownMetric(std::string_view metric) {
  if (metric == "ops_per_sec" || In(metric, kStatsNames) || In(metric, kLatencyNames)) return true;
  if (metric == "allocs_per_op" || metric == "bytes_allocated_per_op") return true;
  for (std::string_view prefix : {"stats.", "latency.", "extra.", "counters.", "params."}) {
    if (metric.size() > prefix.size() && metric.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

std::optional<double> MetricValue(const Benchmark& b, std::string_view metric) {
  if (metric == "ops_per_sec") {
    const auto xs = b.OpsPerSec();
    return Median(xs);
  }
  if (metric == "median_ns") return b.MedianNs();
  if (In(metric, kStatsNames)) return AsNumber(FindPath(b.raw, "stats." + std::string(metric)));
  if (In(metric, kLatencyNames)) {
    return AsNumber(FindPath(b.raw, "latency." + std::string(metric)));
  }
  return AsNumber(FindPath(b.raw, metric));
}

bool DifferentMachines(const Baseline& a, const Baseline& b, std::string* why) {
  std::string reasons;
  if (a.hostname != b.hostname) {
    reasons = "hostname \"" + a.hostname + "\" vs \"" + b.hostname + "\"";
  }
  if (a.cpu_model != b.cpu_model) {
    if (!reasons.empty()) reasons += "; ";
    reasons += "cpu_model \"" + a.cpu_model + "\" vs \"" + b.cpu_model + "\"";
  }
  if (why != nullptr) *why = reasons;
  return !reasons.empty();
}

}  // namespace statelab::gates
