#include "gates/run_facts.h"

#include <algorithm>

#include "harness/environment.h"
#include "util/json.h"

namespace statelab::gates {

using util::AsBool;
using util::AsNumber;
using util::AsString;
using util::AsStringList;
using util::FindPath;

Result<RunFile> LoadRunFile(const std::string& path) {
  STATELAB_ASSIGN_OR_RETURN(harness::Baseline baseline, harness::ReadBaselineFile(path));
  return RunFile{path, std::move(baseline)};
}

EnvironmentFacts ReadEnvironmentFacts(const boost::json::object& env) {
  EnvironmentFacts f;
  f.hostname = AsString(FindPath(env, "hostname")).value_or("");
  f.cpu_model = AsString(FindPath(env, "cpu.model")).value_or("");
  if (const boost::json::value* m = FindPath(env, "machine"); m != nullptr && m->is_object()) {
    f.machine = m->get_object();
    f.machine_fingerprint = AsString(f.machine.if_contains("fingerprint")).value_or("");
  }
  if (auto cores = AsNumber(FindPath(env, "cpu.cores"))) {
    f.physical_cores = static_cast<int64_t>(*cores);
  }
  f.reference_match = AsBool(FindPath(env, "reference_platform.match")).value_or(false);
  f.reference_reasons = AsStringList(FindPath(env, "reference_platform.reasons"));
  if (FindPath(env, "reference_platform.match") == nullptr) {
    f.reference_reasons.emplace_back(
        "baseline does not record environment.reference_platform.match");
  }
  const auto valid = AsBool(FindPath(env, "baseline_validity.valid_as_baseline"));
  f.valid_as_baseline = valid.value_or(false);
  f.validity_reasons = AsStringList(FindPath(env, "baseline_validity.reasons"));
  if (!valid) f.validity_reasons.emplace_back("validity not recorded");
  f.warnings = AsStringList(FindPath(env, "warnings"));
  return f;
}

int64_t UsableCores(const harness::Baseline& run) {
  int64_t cores = run.config.cores;
  const std::optional<int64_t> physical = ReadEnvironmentFacts(run.environment).physical_cores;
  if (physical.has_value() && *physical > 0) {
    cores = cores > 0 ? std::min(cores, *physical) : *physical;
  }
  return cores;
}

std::string RunLabel(std::string_view run_id) {
  // run_<YYYY-MM-DD>_<HH-MM-SS>_<commit>[_<label>]: the label is everything after the 4th '_'.
  std::size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    pos = run_id.find('_', pos);
    if (pos == std::string_view::npos) return "";
    ++pos;
  }
  return std::string(run_id.substr(pos));
}

std::string HarnessValue(const harness::Baseline& run, std::string_view key) {
  const boost::json::value* h = run.environment.if_contains("harness");
  if (h == nullptr || !h->is_object()) return "";
  const boost::json::value* v = h->as_object().if_contains(key);
  if (v == nullptr) return "";
  if (v->is_string()) return std::string(v->as_string());
  return boost::json::serialize(*v);
}

std::string RunMetric(const harness::Baseline& run) {
  const std::string m = HarnessValue(run, "metric");
  return m.empty() ? "time" : m;
}

const harness::BenchmarkResult* FindBenchmark(const harness::Baseline& run, std::string_view name) {
  for (const auto& b : run.benchmarks) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

bool DifferentMachines(const harness::Baseline& a, const harness::Baseline& b, std::string* why) {
  const EnvironmentFacts fa = ReadEnvironmentFacts(a.environment);
  const EnvironmentFacts fb = ReadEnvironmentFacts(b.environment);
  std::string reasons;
  auto differ = [&](std::string_view field, const std::string& va, const std::string& vb) {
    if (va == vb) return;
    if (!reasons.empty()) reasons += "; ";
    reasons += std::string(field) + " " + va + " vs " + vb;
  };
  if (!fa.machine_fingerprint.empty() && !fb.machine_fingerprint.empty()) {
    if (fa.machine_fingerprint != fb.machine_fingerprint) {
      auto text = [](const boost::json::object& m, std::string_view field) {
        const boost::json::value* v = m.if_contains(field);
        return v != nullptr ? boost::json::serialize(*v) : std::string("absent");
      };
      for (std::string_view field : harness::kMachineFields) {
        differ(field, text(fa.machine, field), text(fb.machine, field));
      }
      // Same fields, different hash: a field this build does not know (a newer writer).
      if (reasons.empty()) {
        differ("fingerprint", harness::ShortFingerprint(fa.machine_fingerprint),
               harness::ShortFingerprint(fb.machine_fingerprint));
      }
    }
  } else {
    auto quoted = [](const std::string& s) { return "\"" + s + "\""; };
    differ("hostname", quoted(fa.hostname), quoted(fb.hostname));
    differ("cpu_model", quoted(fa.cpu_model), quoted(fb.cpu_model));
  }
  if (why != nullptr) *why = reasons;
  return !reasons.empty();
}

std::string MachineLabel(const EnvironmentFacts& facts) {
  if (!facts.machine_fingerprint.empty())
    return harness::ShortFingerprint(facts.machine_fingerprint);
  return facts.hostname + ", " + (facts.cpu_model.empty() ? "unknown CPU" : facts.cpu_model) +
         " (no fingerprint)";
}

}  // namespace statelab::gates
