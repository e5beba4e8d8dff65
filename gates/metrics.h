#pragma once
// Metrics of one benchmark by name, as gate rules and reports address them (docs/gates.md), over
// the harness model of baseline.json. Pure functions; thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/baseline.h"

namespace statelab::gates {

std::vector<double> NsPerOp(const harness::BenchmarkResult& b);
std::vector<double> OpsPerSec(const harness::BenchmarkResult& b);
// Median ns per op over the repetitions (the statistic compare and the gates use).
std::optional<double> MedianNs(const harness::BenchmarkResult& b);

// A metric of one benchmark. Names: mean_ns, median_ns, stddev_ns, cv, min_ns, max_ns (stats;
// median_ns from the repetitions); p50_ns, p90_ns, p95_ns, p99_ns, p999_ns (latency; null when
// published from too few samples, harness::MinSamplesForPercentile); ops_per_sec (median of the
// repetitions); allocs_per_op, bytes_allocated_per_op; syncs_per_commit_group; or a dotted path
// "stats.<key>", "latency.<key>", "counters.<key>", "extra.<key>", "params.<key>" (a numeric
// param). nullopt when absent, null or not finite: never 0.
std::optional<double> MetricValue(const harness::BenchmarkResult& b, std::string_view metric);

// extra.syncs_per_commit x threads: syncs per largest possible commit group (one commit in flight
// per writer thread); >= 1 when every Strict commit group is synced.
inline constexpr std::string_view kSyncsPerCommitGroup = "syncs_per_commit_group";

// Why MetricValue(b, metric) is null when the reason is known: a percentile published from too few
// samples (its latency.percentile_notes entry, or the sample count of an older file). "" otherwise.
std::string MetricNullReason(const harness::BenchmarkResult& b, std::string_view metric);

// True when `metric` is a name MetricValue understands (a known name, or a dotted path under
// stats, latency, extra, counters or params).
bool IsKnownMetric(std::string_view metric);

// "tier/group/op/mode/t<threads>/params": the identity of a cell without its engine.
std::string CellKey(const harness::BenchmarkResult& b);

}  // namespace statelab::gates
