#include "util/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace statelab::util {

std::optional<double> Median(std::span<const double> values) {
  if (values.empty()) return std::nullopt;
  std::vector<double> v(values.begin(), values.end());
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

std::optional<double> GeometricMean(std::span<const double> xs) {
  if (xs.empty()) return std::nullopt;
  double log_sum = 0;
  for (double x : xs) {
    if (!(x > 0) || !std::isfinite(x)) return std::nullopt;
    log_sum += std::log(x);
  }
  return std::exp(log_sum / static_cast<double>(xs.size()));
}

double MinTwoSidedP(int n_a, int n_b) {
  if (n_a <= 0 || n_b <= 0) return 1.0;
  // C(n_a + n_b, n_a) in floating point; exact enough for the comparison against alpha.
  double c = 1;
  const int n = n_a + n_b;
  const int k = std::min(n_a, n_b);
  for (int i = 1; i <= k; ++i) c = c * (n - k + i) / i;
  return std::min(1.0, 2.0 / c);
}

namespace {

struct Ranked {
  std::vector<int> doubled_ranks;  // 2 x midrank, so tied ranks stay integers
  std::vector<int> tie_sizes;
};

// Midranks of the pooled sample, doubled.
Ranked RankPooled(const std::vector<double>& pooled) {
  const std::size_t n = pooled.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t x, std::size_t y) { return pooled[x] < pooled[y]; });
  Ranked r;
  r.doubled_ranks.assign(n, 0);
  std::size_t i = 0;
  while (i < n) {
    std::size_t j = i;
    while (j + 1 < n && pooled[order[j + 1]] == pooled[order[i]]) ++j;
    // Ranks i+1 .. j+1 share the midrank (i+1 + j+1) / 2; doubled: i + j + 2.
    const int doubled = static_cast<int>(i + j + 2);
    for (std::size_t k = i; k <= j; ++k) r.doubled_ranks[order[k]] = doubled;
    r.tie_sizes.push_back(static_cast<int>(j - i + 1));
    i = j + 1;
  }
  return r;
}

}  // namespace

MannWhitneyResult MannWhitneyU(std::span<const double> a, std::span<const double> b) {
  MannWhitneyResult res;
  const int na = static_cast<int>(a.size());
  const int nb = static_cast<int>(b.size());
  if (na == 0 || nb == 0) return res;

  std::vector<double> pooled(a.begin(), a.end());
  pooled.insert(pooled.end(), b.begin(), b.end());
  const Ranked ranked = RankPooled(pooled);
  const int n = na + nb;

  long long w2_a = 0;  // doubled rank sum of a
  for (int i = 0; i < na; ++i) w2_a += ranked.doubled_ranks[i];
  // U_a = W_a - na(na+1)/2 counts pairs with a > b; U_b = na*nb - U_a.
  const double u_a = static_cast<double>(w2_a) / 2.0 - na * (na + 1) / 2.0;
  res.u = static_cast<double>(na) * nb - u_a;

  if (n <= kMannWhitneyExactMaxN) {
    // Count, for every doubled rank sum s, the number of ways to pick na of the n pooled ranks
    // with that sum. Counts stay below C(50, 25) < 2^53, so doubles hold them exactly.
    const int max_sum = 2 * n * na + 1;
    std::vector<std::vector<double>> ways(na + 1, std::vector<double>(max_sum + 1, 0.0));
    ways[0][0] = 1;
    for (int item = 0; item < n; ++item) {
      const int r = ranked.doubled_ranks[item];
      for (int k = std::min(item + 1, na); k >= 1; --k) {
        auto& dst = ways[k];
        const auto& src = ways[k - 1];
        for (int s = max_sum; s >= r; --s) dst[s] += src[s - r];
      }
    }
    double total = 0, le = 0, ge = 0;
    for (int s = 0; s <= max_sum; ++s) {
      const double c = ways[na][s];
      if (c == 0) continue;
      total += c;
      if (s <= w2_a) le += c;
      if (s >= w2_a) ge += c;
    }
    res.p_value = std::min(1.0, 2.0 * std::min(le, ge) / total);
    res.method = "exact";
    return res;
  }

  const double mu = static_cast<double>(na) * nb / 2.0;
  double tie_term = 0;
  for (int t : ranked.tie_sizes) tie_term += static_cast<double>(t) * t * t - t;
  const double var = static_cast<double>(na) * nb / 12.0 *
                     ((n + 1) - tie_term / (static_cast<double>(n) * (n - 1)));
  res.method = "normal";
  if (var <= 0) {
    res.p_value = 1.0;  // every value tied: no evidence of any difference
    return res;
  }
  const double z = std::max(0.0, std::fabs(res.u - mu) - 0.5) / std::sqrt(var);
  res.p_value = std::min(1.0, std::erfc(z / std::sqrt(2.0)));
  return res;
}

}  // namespace statelab::util
