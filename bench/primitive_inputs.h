#pragma once
// Inputs the primitive-level tiers share (B, C, D, scenarios), all built before a timed loop:
// event payloads, nested JSON documents and their paths, random vectors, the counter transition,
// and the transaction that writes to every data primitive of a run.
// Thread-safety: pure functions; states belong to their cell's thread.

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/catalogue_util.h"

namespace statelab::bench {

// Vectors are drawn once per cell; operations cycle through this many.
inline constexpr uint64_t kSampleVectors = 256;

// {"step": 1, "tool": "search", "tokens": 128, "ok": true}: a typical small event.
boost::json::value EventPayload();
// depth 1: {"l1": 0}; depth 3: {"l1": {"l2": {"l3": 0}}}.
boost::json::value NestedDocument(int depth);
// "$.l1.l2...l<depth>"; depth 0 is the root "$".
std::string NestedPath(int depth);
// The vector search grid (B vector/search, and the vector peers): k = 10 over n vectors of dim
// components; the quick suite runs the smallest cell. 100,000 vectors only at 128 dims (the wider
// ones would hold 150-300 MB per engine).
inline constexpr size_t kSearchK = 10;
inline constexpr uint32_t kSearchDims[] = {128, 384, 768};
inline constexpr uint64_t kSearchSizes[] = {1000, 10000, 100000};
inline bool InSearchGrid(uint64_t n, uint32_t dim) { return n <= 10000 || dim == 128; }
inline Suite SearchSuite(uint64_t n, uint32_t dim) {
  return dim == 128 && n == 1000 ? Suite::kQuick : Suite::kStandard;
}
inline harness::Params SearchParams(uint64_t n, uint32_t dim) {
  return P({{"k", static_cast<double>(kSearchK)},
            {"n", static_cast<double>(n)},
            {"dim", static_cast<double>(dim)}});
}
// count vectors of dim components uniform in [-1, 1).
std::vector<std::vector<float>> RandomVectors(uint64_t count, uint32_t dim, uint64_t seed);
// count string Values of `words` words each, drawn (zipfian) from a 2000-word vocabulary.
std::vector<Value> TextValues(uint64_t count, int words, uint64_t seed);
// The keyword-search corpus of the C search cells and the keyword peers: n KV documents
// "doc000000"... of 12 words each (TextValues), and 64 queries of two words. A document's text is
// its key and its value (what our index extracts from a KV document: docs/search.md).
struct SearchCorpus {
  std::vector<std::string> keys;
  std::vector<Value> values;
  std::vector<std::string> queries;
  std::string Text(uint64_t i) const;  // key + ' ' + value
};
SearchCorpus MakeSearchCorpus(uint64_t n, uint64_t seed);
// Keyword search over 1k (quick), 10k (standard) and 100k (full) documents, top 10.
inline constexpr uint64_t kKeywordDocs[] = {1000, 10000, 100000};
inline Suite KeywordSuite(uint64_t n) {
  return n <= 1000 ? Suite::kQuick : n <= 10000 ? Suite::kStandard : Suite::kFull;
}
inline harness::Params KeywordParams(uint64_t n) {
  return P({{"n", static_cast<double>(n)}, {"limit", 10.0}});
}
// The counter transition: int64 + 1 (0 for a non-integer).
Result<Value> IncrementCounter(const Value& current);

// A run ready for WriteAllPrimitives: its vector collection, document and cell exist.
template <class Eng>
struct AllPrimitivesState : DbState<Eng> {
  using DbState<Eng>::DbState;
  boost::json::value payload = EventPayload();
  TraceBody thought = trace::Thought{"considering the next step", 0.5};
  std::vector<std::string> trace_tags = {"agent"};
  std::vector<float> vector = std::vector<float>(8, 0.25f);
  boost::json::value counter{int64_t{0}};
};

inline constexpr std::string_view kAllCollection = "all";

template <class D, class S = AllPrimitivesState<typename D::Eng>>
Result<std::unique_ptr<S>> OpenAllPrimitives(const CellContext& ctx, DurabilityMode mode) {
  STATELAB_ASSIGN_OR_RETURN(std::unique_ptr<S> s, (OpenState<D, S>(ctx, mode)));
  STATELAB_RETURN_IF_ERROR(
      s->db->vectors().CreateCollection(s->run, kAllCollection, 8, VectorMetric::kCosine).status());
  Result<Version> r = s->db->Transaction(s->run, [&](auto& h) -> Status {
    STATELAB_RETURN_IF_ERROR(h.json().Create("doc", boost::json::object{{"n", 0}}));
    return h.state().Init("cell", Value(int64_t{0}));
  });
  STATELAB_RETURN_IF_ERROR(r.status());
  return s;
}

// One transaction writing to each of the six data primitives of the run (kv, events, state,
// traces, json, vectors). The seventh, the run index, lives in the reserved meta run, and a
// transaction never spans runs (docs/architecture.md); scenario/agent/all_seven_atomic adds it.
template <class Eng, class S>
Result<Version> WriteAllPrimitives(Database<Eng>& db, S& s, uint64_t i) {
  const int64_t n = static_cast<int64_t>(i);
  return db.Transaction(s.run, [&](auto& h) -> Status {
    STATELAB_RETURN_IF_ERROR(h.kv().Put("k", Value(n)));
    STATELAB_RETURN_IF_ERROR(h.events().Append("step", s.payload).status());
    STATELAB_RETURN_IF_ERROR(h.state().Set("cell", Value(n)));
    STATELAB_RETURN_IF_ERROR(h.traces().Record(s.thought, s.trace_tags).status());
    STATELAB_RETURN_IF_ERROR(h.json().Set("doc", "$.n", boost::json::value(n)));
    return h.vectors().Upsert(kAllCollection, "v", s.vector);
  });
}

}  // namespace statelab::bench
