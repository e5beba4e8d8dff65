#pragma once
// Gate rules as data (gates/gates.json). The loader is strict: an unknown key, an unknown kind or
// metric, a rule without a red flag (a gate that cannot fail) or thresholds in the wrong order is
// an error naming the rule, so a typo cannot silently disable a gate. See docs/gates.md.

#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "engines/api/status.h"
#include "harness/baseline.h"

namespace statelab::gates {

enum class RuleKind {
  kThreshold,    // a metric of each selected benchmark against the thresholds
  kRatio,        // metric of a numerator benchmark / metric of a joined denominator benchmark
  kMetricRatio,  // two metrics of the same benchmark (p99 / mean)
  kRegression,   // this run's metric / the previous run's metric for the same benchmark name
};
std::string_view RuleKindName(RuleKind k);

// kMax: smaller is better (latency, allocations, ratios of cost); kMin: larger is better
// (throughput, scaling speedup).
enum class Direction { kMax, kMin };

// Which benchmarks a rule reads. Empty lists match anything; every given field must match.
struct Selector {
  std::vector<std::string> tiers;
  std::vector<std::string> groups;
  std::vector<std::string> ops;
  std::vector<std::string> engines;  // e.g. a peer as a ratio's denominator
  std::vector<int64_t> threads;
  harness::Params params;        // each key must be present with an equal value
  std::string name_regex;        // std::regex_search over the benchmark name
  std::vector<std::string> has;  // metrics that must be present and non-null
  std::shared_ptr<const std::regex> compiled;

  bool Matches(const harness::BenchmarkResult& b) const;
  std::string Describe() const;  // "tier=A1 op=put_direct threads=1"
};

struct Operand {
  Selector select;
  std::string metric;
};

struct Thresholds {
  double target = 0;
  std::optional<double> acceptable;
  double red_flag = 0;
  std::string basis;  // where the numbers come from (seed table, or how they were derived)
};

struct Rule {
  std::string id;
  std::string family;
  std::string description;
  std::string source;
  RuleKind kind = RuleKind::kThreshold;
  Direction direction = Direction::kMax;
  std::string unit;

  Selector select;  // threshold, metric_ratio, regression
  std::string metric;
  std::string denominator_metric;  // metric_ratio
  // metric_ratio: a benchmark whose denominator is below this multiple of its timer overhead is
  // skipped, since its per-operation percentiles measure the timer, not the operation (0 = off).
  double min_timer_multiple = 0;

  Operand numerator;    // ratio
  Operand denominator;  // ratio
  std::vector<std::string> join_on;

  Thresholds thresholds;
  bool all_engines = true;  // "*" = every engine of ours the run measured
  std::vector<std::string> engines;
  bool all_modes = true;  // "*" = any mode, "n/a" included
  std::vector<std::string> modes;
  bool reference_only = false;
  int min_cores = 1;
  double alpha = 0.05;  // regression: significance level of the Mann-Whitney test
  // The smallest bench suite that measures the rule's cells ("quick", "standard", "full"): in CI
  // mode a run of that suite or a larger one must contain them (docs/gates.md).
  std::string suite = "quick";
  // The runs the rule applies to: "time" (the default) or "instructions" (statelab-bench --metric
  // instructions). A rule is not evaluated on a run of the other metric (docs/gates.md).
  std::string run_metric = "time";
  // The selector the scope applies to (numerator for ratio rules).
  const Selector& Primary() const { return kind == RuleKind::kRatio ? numerator.select : select; }
};

// The bench suites from smallest to largest; each runs every cell of the smaller ones.
inline constexpr std::string_view kSuites[] = {"quick", "standard", "full"};
// Position in kSuites; nullopt for anything else ("custom", a typo).
std::optional<int> SuiteRank(std::string_view suite);

struct RuleSet {
  std::string path;
  std::string schema_version;
  std::vector<Rule> rules;

  const Rule* Find(std::string_view id) const;
};

// InvalidArgument "<source>: <where>: <problem>" naming the rule and key, or the JSON syntax error.
Result<RuleSet> ParseRules(std::string_view text, std::string_view source);
// IOError when the file cannot be read; otherwise as ParseRules.
Result<RuleSet> LoadRules(const std::string& path);

}  // namespace statelab::gates
