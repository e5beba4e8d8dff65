#include "engines/peers/vector_peer.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <set>

namespace statelab::peers {

namespace {

double Cosine(std::span<const float> a, std::span<const float> b) {
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  if (na == 0 || nb == 0) return 0;  // a zero vector has no direction (as VectorScorer)
  return dot / (std::sqrt(na) * std::sqrt(nb));
}

std::vector<double> Scores(uint32_t dim, std::span<const float> rows,
                           std::span<const float> query) {
  std::vector<double> s(rows.size() / dim);
  for (size_t r = 0; r < s.size(); ++r) s[r] = Cosine(rows.subspan(r * dim, dim), query);
  return s;
}

}  // namespace

void Normalize(std::span<const float> v, std::span<float> out) {
  double nn = 0;
  for (float x : v) nn += static_cast<double>(x) * x;
  const double scale = nn > 0 ? 1.0 / std::sqrt(nn) : 1.0;
  for (size_t i = 0; i < v.size(); ++i) out[i] = static_cast<float>(v[i] * scale);
}

std::vector<int64_t> ExactTopK(uint32_t dim, std::span<const float> rows,
                               std::span<const float> query, size_t k) {
  const std::vector<double> s = Scores(dim, rows, query);
  std::vector<int64_t> ids(s.size());
  std::iota(ids.begin(), ids.end(), 0);
  k = std::min(k, ids.size());
  std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(k), ids.end(),
                    [&](int64_t a, int64_t b) { return s[a] > s[b] || (s[a] == s[b] && a < b); });
  ids.resize(k);
  return ids;
}

double RecallAtK(uint32_t dim, std::span<const float> rows, std::span<const float> query,
                 std::span<const int64_t> found, size_t k) {
  const std::vector<double> s = Scores(dim, rows, query);
  if (k == 0 || s.empty()) return 0;
  std::vector<double> sorted = s;
  const size_t kth = std::min(k, sorted.size()) - 1;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(kth), sorted.end(),
                   std::greater<>());
  const double threshold = sorted[kth] - 1e-6;
  std::set<int64_t> hits;
  for (int64_t id : found.first(std::min(found.size(), k))) {
    if (id >= 0 && static_cast<size_t>(id) < s.size() && s[id] >= threshold) hits.insert(id);
  }
  return static_cast<double>(hits.size()) / static_cast<double>(k);
}

}  // namespace statelab::peers
