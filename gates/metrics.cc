#include "gates/metrics.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <utility>

#include "harness/histogram.h"
#include "util/stats.h"

namespace statelab::gates {

namespace {

using harness::BenchmarkResult;

constexpr std::string_view kStatsNames[] = {"mean_ns", "median_ns", "stddev_ns",
                                            "cv",      "min_ns",    "max_ns"};

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

const harness::LatencyPercentile* Percentile(std::string_view key) {
  for (const auto& p : harness::kLatencyPercentiles) {
    if (key == p.name) return &p;
  }
  return nullptr;
}

std::optional<double> LatencyField(const std::optional<harness::Latency>& l, std::string_view key) {
  if (!l) return std::nullopt;
  if (const harness::LatencyPercentile* p = Percentile(key)) {
    // Files written before percentiles could be null may hold one from too few samples.
    if (l->samples < 0 ||
        static_cast<uint64_t>(l->samples) < harness::MinSamplesForPercentile(p->q)) {
      return std::nullopt;
    }
    return (*l).*p->field;
  }
  if (key == "max_ns") return l->max_ns;
  if (key == "timer_overhead_ns") return l->timer_overhead_ns;
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

// Syncs per commit group: a Strict writer waits for its own commit, so a group holds at most one
// commit per thread, and syncs_per_commit x threads >= 1 when every group syncs.
std::optional<double> SyncsPerCommitGroup(const BenchmarkResult& b) {
  auto it = b.extra.find("syncs_per_commit");
  if (it == b.extra.end()) return std::nullopt;
  return it->second * static_cast<double>(b.threads);
}

std::optional<double> Lookup(const BenchmarkResult& b, std::string_view metric) {
  if (metric == "ops_per_sec") return util::Median(OpsPerSec(b));
  if (metric == kSyncsPerCommitGroup) return SyncsPerCommitGroup(b);
  if (metric == "median_ns") return MedianNs(b);
  if (In(metric, kStatsNames)) return StatsField(b.stats, metric);
  if (Percentile(metric) != nullptr) return LatencyField(b.latency, metric);
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

std::string MetricNullReason(const BenchmarkResult& b, std::string_view metric) {
  std::string_view key = metric;
  if (key.starts_with("latency.")) key.remove_prefix(std::string_view("latency.").size());
  const harness::LatencyPercentile* p = Percentile(key);
  if (p == nullptr || !b.latency) return "";
  if (auto it = b.latency->percentile_notes.find(std::string(p->name));
      it != b.latency->percentile_notes.end()) {
    return it->second;
  }
  return harness::TooFewSamplesReason(
      static_cast<uint64_t>(std::max<int64_t>(b.latency->samples, 0)), p->q);
}

bool IsKnownMetric(std::string_view metric) {
  if (metric == "ops_per_sec" || metric == kSyncsPerCommitGroup || In(metric, kStatsNames) ||
      Percentile(metric) != nullptr) {
    return true;
  }
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
