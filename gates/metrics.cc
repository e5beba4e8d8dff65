#include "gates/metrics.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <utility>

#include "util/stats.h"

namespace statelab::gates {

namespace {

using harness::BenchmarkResult;

constexpr std::string_view kStatsNames[] = {"mean_ns", "median_ns", "stddev_ns",
                                            "cv",      "min_ns",    "max_ns"};
constexpr std::string_view kLatencyNames[] = {"p50_ns", "p90_ns", "p95_ns", "p99_ns", "p999_ns"};

bool In(std::string_view s, std::span<const std::string_view> set) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

std::optional<double> StatsField(const harness::Stats& s, std::string_view key) {
  if (key == "mean_ns") return s.mean_ns;
  if (key == "median_ns") return s.median_ns;
  if (key == "stddev_ns") return s.stddev_ns;
  if (key == "cv") return s.cv;
  if (key == "min_ns") return s.min_ns;
  if (key == "max_ns") return s.max_ns;
  return std::nullopt;
}

std::optional<double> LatencyField(const std::optional<harness::Latency>& l, std::string_view key) {
  if (!l) return std::nullopt;
  static constexpr std::pair<std::string_view, double harness::Latency::*> kFields[] = {
      {"p50_ns", &harness::Latency::p50_ns},
      {"p90_ns", &harness::Latency::p90_ns},
      {"p95_ns", &harness::Latency::p95_ns},
      {"p99_ns", &harness::Latency::p99_ns},
      {"p999_ns", &harness::Latency::p999_ns},
      {"max_ns", &harness::Latency::max_ns},
      {"timer_overhead_ns", &harness::Latency::timer_overhead_ns}};
  for (const auto& [name, field] : kFields) {
    if (key == name) return (*l).*field;
  }
  if (key == "samples") return static_cast<double>(l->samples);
  return std::nullopt;
}

std::optional<double> CounterField(const harness::Counters& c, std::string_view key) {
  using C = harness::Counters;
  static constexpr std::pair<std::string_view, std::optional<double> C::*> kFields[] = {
      {"instructions_per_op", &C::instructions_per_op},
      {"cycles_per_op", &C::cycles_per_op},
      {"ipc", &C::ipc},
      {"branch_misses_per_op", &C::branch_misses_per_op},
      {"l1d_misses_per_op", &C::l1d_misses_per_op},
      {"llc_misses_per_op", &C::llc_misses_per_op},
      {"task_clock_ns_per_op", &C::task_clock_ns_per_op},
      {"context_switches", &C::context_switches},
      {"page_faults", &C::page_faults},
      {"hw_running_fraction", &C::hw_running_fraction}};
  for (const auto& [name, field] : kFields) {
    if (key == name) return c.*field;
  }
  return std::nullopt;
}

std::optional<double> Lookup(const BenchmarkResult& b, std::string_view metric) {
  if (metric == "ops_per_sec") return util::Median(OpsPerSec(b));
  if (metric == "median_ns") return MedianNs(b);
  if (In(metric, kStatsNames)) return StatsField(b.stats, metric);
  if (In(metric, kLatencyNames)) return LatencyField(b.latency, metric);
  if (metric == "allocs_per_op") return b.allocs_per_op;
  if (metric == "bytes_allocated_per_op") return b.bytes_allocated_per_op;
  const std::size_t dot = metric.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::string_view group = metric.substr(0, dot);
  const std::string key(metric.substr(dot + 1));
  if (group == "stats") return StatsField(b.stats, key);
  if (group == "latency") return LatencyField(b.latency, key);
  if (group == "counters") return CounterField(b.counters, key);
  if (group == "extra") {
    auto it = b.extra.find(key);
    return it != b.extra.end() ? std::optional<double>(it->second) : std::nullopt;
  }
  if (group == "params") {
    auto it = b.params.find(key);
    if (it == b.params.end()) return std::nullopt;
    const double* d = std::get_if<double>(&it->second);
    return d != nullptr ? std::optional<double>(*d) : std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

std::vector<double> NsPerOp(const BenchmarkResult& b) {
  std::vector<double> out;
  out.reserve(b.repetitions.size());
  for (const auto& r : b.repetitions) out.push_back(r.ns_per_op);
  return out;
}

std::vector<double> OpsPerSec(const BenchmarkResult& b) {
  std::vector<double> out;
  out.reserve(b.repetitions.size());
  for (const auto& r : b.repetitions) out.push_back(r.ops_per_sec);
  return out;
}

std::optional<double> MedianNs(const BenchmarkResult& b) { return util::Median(NsPerOp(b)); }

std::optional<double> MetricValue(const BenchmarkResult& b, std::string_view metric) {
  const std::optional<double> v = Lookup(b, metric);
  return v && std::isfinite(*v) ? v : std::nullopt;
}

bool IsKnownMetric(std::string_view metric) {
  if (metric == "ops_per_sec" || In(metric, kStatsNames) || In(metric, kLatencyNames)) return true;
  if (metric == "allocs_per_op" || metric == "bytes_allocated_per_op") return true;
  for (std::string_view prefix : {"stats.", "latency.", "extra.", "counters.", "params."}) {
    if (metric.size() > prefix.size() && metric.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

std::string CellKey(const BenchmarkResult& b) {
  return b.tier + "/" + b.group + "/" + b.op + "/" + b.mode + "/t" + std::to_string(b.threads) +
         "/" + harness::ParamsText(b.params);
}

}  // namespace statelab::gates
