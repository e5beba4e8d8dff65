#include "harness/derived.h"

#include <algorithm>
#include <vector>

#include "util/stats.h"

namespace statelab::harness {
namespace {

// The median over the repetitions of one of their fields, 0 without repetitions.
double MedianOf(const BenchmarkResult& b, double Repetition::*field) {
  std::vector<double> v;
  for (const Repetition& r : b.repetitions) v.push_back(r.*field);
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
        // stats.median_ns as ComputeStats gives it.
        const double num_median = MedianOf(num, &Repetition::ns_per_op);
        const double den_median = MedianOf(*den, &Repetition::ns_per_op);
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
    const double t1 = MedianOf(*one, &Repetition::ops_per_sec);
    const double tn = MedianOf(n, &Repetition::ops_per_sec);
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

std::vector<FacadeMapping> FacadeTable() {
  return {
      // No B entry: its B/A1 row would repeat the one of "get".
      {"get_hot", TierOp{"raw", "get_hot"}, TierOp{"engine", "get_direct"}, std::nullopt},
      {"get", TierOp{"raw", "get_uniform"}, TierOp{"engine", "get_direct"}, TierOp{"kv", "get"}},
      {"put", TierOp{"raw", "put_prealloc"}, TierOp{"engine", "put_direct"}, TierOp{"kv", "put"}},
      {"scan_100", TierOp{"raw", "scan_prefix_100"}, std::nullopt, TierOp{"kv", "list_100"}},
  };
}

}  // namespace statelab::harness
