#pragma once
// Search across the primitives of a run (docs/search.md): keyword search (BM25, k1 = 1.2,
// b = 0.75, Lucene IDF) over the per-run index that every commit maintains
// (engines/core/search_index.h), and hybrid search fusing keyword hits with vector hits by
// reciprocal rank fusion (k = 60). One snapshot per search. A time and candidate budget truncates
// the search and reports it (truncated + reason) instead of failing.
// Ranking: score descending, then document (primitive tag, stored key) ascending.
// Inside a write transaction, search sees the snapshot, not the transaction's own writes (the
// index is derived at commit), and the index keys it reads join the read set.
// SearchOps<P> works inside a transaction; Search<E> is the facade.
// Thread-safety: SearchOps belongs to its transaction's thread; Search is thread-safe.

#include <absl/functional/function_ref.h>

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engines/core/run_transaction.h"
#include "engines/primitives/facade_util.h"
#include "engines/primitives/vector_store.h"

namespace statelab {

inline constexpr double kBm25K1 = 1.2;
inline constexpr double kBm25B = 0.75;
inline constexpr double kRrfK = 60;
inline constexpr size_t kMaxSearchLimit = 10000;
inline constexpr size_t kMaxQueryBytes = 4096;
inline constexpr size_t kMaxQueryTerms = 64;
// Snippets: at most this many matched fields per hit, each cut to about this many bytes.
inline constexpr size_t kMaxSnippetFields = 8;
inline constexpr size_t kSnippetBytes = 160;

struct SearchOptions {
  size_t limit = 10;  // hits returned, 1..kMaxSearchLimit
  // Keyword hits only from these primitives (kv, event, state, trace, run, json); empty: all.
  std::vector<Tag> primitives;
  // Keyword hits only with a document time in [start_us, end_us): events and traces use their
  // timestamp_us, runs their created_at_us; KV, state and JSON have no time and never match a
  // time range.
  std::optional<TimestampUs> start_us;
  std::optional<TimestampUs> end_us;
  // Budget; 0 = unlimited. time: wall time of the search. max_candidates: postings (term,
  // document pairs) read. Exceeding either stops reading and returns what was scored so far.
  std::chrono::microseconds time_budget{0};
  uint64_t max_candidates = 0;
};

// A matched text field: its path ("value", "payload.user.name", "$.title", "tags[0]", ...) and
// text (cut to about kSnippetBytes around the first match).
struct SearchField {
  std::string path;
  std::string text;
};

struct SearchMatch {
  Tag primitive = Tag::kKv;
  // The key the primitive knows the document by: KV key, state name, JSON document id, trace id,
  // run name, event sequence (decimal), vector key.
  std::string key;
  double score = 0;                 // BM25 (keyword) or the RRF sum (hybrid)
  uint32_t keyword_rank = 0;        // 1-based rank in the keyword list; 0: not in it
  uint32_t vector_rank = 0;         // hybrid: 1-based rank in the vector list; 0: not in it
  std::vector<SearchField> fields;  // keyword hits: the fields that matched a query term
};

struct SearchResult {
  std::vector<SearchMatch> matches;
  bool truncated = false;
  std::string_view truncated_reason;  // "time" | "candidates" when truncated
  uint64_t documents = 0;             // N: indexed documents of the run
  uint64_t postings_read = 0;
};

struct VectorQuery {
  std::string collection;
  std::vector<float> embedding;
  size_t k = 10;               // both lists (keyword and vector) are cut at k before fusion
  boost::json::object filter;  // vector metadata filter (VectorOps::Search)
  // The primitive a vector key names (e.g. kKv: vector "a" embeds KV key "a"), so both hits of
  // one document fuse; unset: vectors are documents of their own (primitive kVector).
  std::optional<Tag> key_primitive;
};

namespace internal {
using SearchScanFn = absl::FunctionRef<bool(std::string_view user_key, const Value& v)>;
// scan(prefix, fn): the live Tag::kSearch keys under prefix, in order.
using SearchScan = absl::FunctionRef<Status(std::string_view prefix, SearchScanFn fn)>;
// get(tag, user key, out): NotFound when absent.
using SearchGet = absl::FunctionRef<Status(Tag tag, std::string_view user_key, Value* out)>;

Result<SearchResult> KeywordSearch(std::string_view query, const SearchOptions& o, SearchScan scan,
                                   SearchGet get);
Status CheckVectorQuery(const VectorQuery& q);
// Reciprocal rank fusion of a keyword list and a vector list (ranks from 1):
// score = sum over lists of 1 / (kRrfK + rank).
SearchResult FuseRrf(SearchResult keyword, const std::vector<SearchHit>& vector_hits,
                     const VectorQuery& q, size_t limit);
}  // namespace internal

template <Partition P>
class SearchOps {
 public:
  explicit SearchOps(Txn<P>& t) noexcept : t_(t) {}

  Result<SearchResult> Keyword(std::string_view query, const SearchOptions& o = {}) {
    auto scan = [&](std::string_view prefix, internal::SearchScanFn fn) {
      return t_.Scan(Tag::kSearch, prefix,
                     [&](std::string_view k, const Value& v, Version) { return fn(k, v); });
    };
    auto get = [&](Tag tag, std::string_view key, Value* out) { return t_.Get(tag, key, out); };
    return internal::KeywordSearch(query, o, scan, get);
  }

  // The caller supplies the query embedding; keyword and vector lists are cut at q.k, fused by
  // RRF, and the best o.limit are returned. Filters and budget apply to the keyword list.
  Result<SearchResult> Hybrid(std::string_view query, const VectorQuery& q,
                              const SearchOptions& o = {}) {
    STATELAB_RETURN_IF_ERROR(internal::CheckVectorQuery(q));
    SearchOptions keyword_opts = o;
    keyword_opts.limit = q.k;
    STATELAB_ASSIGN_OR_RETURN(SearchResult keyword, Keyword(query, keyword_opts));
    std::vector<SearchHit> hits;
    STATELAB_RETURN_IF_ERROR(
        VectorOps<P>(t_).Search(q.collection, q.embedding, q.k, q.filter, &hits));
    return internal::FuseRrf(std::move(keyword), hits, q, o.limit);
  }

 private:
  Txn<P>& t_;
};

template <Engine E>
class Search {
 public:
  using P = typename E::Partition;
  explicit Search(E& e) noexcept : e_(e) {}

  Result<SearchResult> Keyword(const RunId& run, std::string_view query,
                               const SearchOptions& o = {}) {
    return ReadOp(e_, run, [&](Txn<P>& t) { return SearchOps<P>(t).Keyword(query, o); });
  }
  Result<SearchResult> Hybrid(const RunId& run, std::string_view query, const VectorQuery& q,
                              const SearchOptions& o = {}) {
    return ReadOp(e_, run, [&](Txn<P>& t) { return SearchOps<P>(t).Hybrid(query, q, o); });
  }

 private:
  E& e_;
};

}  // namespace statelab
