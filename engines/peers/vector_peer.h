#pragma once
// Vector-search peers (FAISS IndexFlat, hnswlib) as a concept of their own, and the exact
// reference they are checked against. Every index here scores by cosine similarity, the metric
// of our benchmark collections (engines/primitives/vector_store.h): rows and queries are
// normalized to unit length and ranked by inner product. Ids are row numbers.
// Thread-safety: an index is built on one thread; Search from one thread at a time (it reuses a
// normalized-query buffer). The free functions are pure.

#include <concepts>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engines/api/status.h"

namespace statelab::peers {

template <class P>
concept PeerVectorIndex = requires(P& p, uint32_t dim, std::span<const float> rows,
                                   std::span<const float> query, size_t k,
                                   std::vector<int64_t>* ids) {
  { P::kName } -> std::convertible_to<std::string_view>;
  { P::kAvailable } -> std::convertible_to<bool>;
  { P::kWhyNotAvailable } -> std::convertible_to<std::string_view>;
  { P::kExact } -> std::convertible_to<bool>;  // false: report recall@k against ExactTopK
  // rows: n x dim floats, row-major.
  { P::Build(dim, rows) } -> std::same_as<Result<std::unique_ptr<P>>>;
  { p.Settings() } -> std::convertible_to<std::string>;
  // The k best rows for `query`, best first.
  { p.Search(query, k, ids) } -> std::same_as<Status>;
};

// `v` scaled to unit length (left as is when it is zero), written to `out`.
void Normalize(std::span<const float> v, std::span<float> out);

// The k best rows by cosine, computed in double as our VectorStore does; ties by lower row.
std::vector<int64_t> ExactTopK(uint32_t dim, std::span<const float> rows,
                               std::span<const float> query, size_t k);

// Recall@k of `found` against exact cosine ranking, counting ties: a found row is a hit when its
// exact score reaches the k-th best exact score (within 1e-6), so an index that returns another
// of several equal rows is not penalized. Distinct hits / k, in [0, 1].
double RecallAtK(uint32_t dim, std::span<const float> rows, std::span<const float> query,
                 std::span<const int64_t> found, size_t k);

}  // namespace statelab::peers
