#pragma once
// VectorStore: per-run collections of float32 embeddings with exact, deterministic search.
// create_collection, delete_collection, list_collections, upsert, get, delete, count, list_keys,
// search(query, k, filter).
//
// Layout: the collection config under Tag::kVectorConfig (key = collection name, value = JSON
// {"dimension", "metric"}); each vector under Tag::kVector (key = collection '\0' key, value =
// Bytes, see EncodeVector). Vector writes are ordinary transactional writes. Writes read the
// collection config, so they conflict with a concurrent delete_collection (no orphan vectors).
//
// Search scores: cosine similarity (0 when either vector is all zeros), 1 / (1 + L2 distance),
// dot product; computed in double. Search scores every row in float first (a compiler-vectorized
// kernel over a contiguous matrix, see VectorMatrix) and rescores in double only the rows whose
// float score, widened by its rounding bound, can still reach the top k: the results are those
// of the double scan. Results are sorted by score descending, then key ascending.
// The filter is equality on top-level metadata members, AND-combined (JSON equality: object
// member order does not matter); it is applied before top-k, so k matches are returned whenever
// k exist. A vector without metadata matches only the empty filter. Metadata must be a JSON
// object (or null for none); it comes back with the members of nested objects in sorted order.
// Thread-safety: VectorOps belongs to its transaction's thread; VectorStore is thread-safe.

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engines/api/key.h"
#include "engines/core/run_transaction.h"
#include "engines/primitives/facade_util.h"
#include "engines/primitives/names.h"

namespace statelab {

enum class VectorMetric : uint8_t { kCosine, kEuclidean, kDot };
std::string_view MetricName(VectorMetric m) noexcept;  // "cosine" | "euclidean" | "dot"
Result<VectorMetric> ParseMetric(std::string_view name);

inline constexpr uint32_t kMaxVectorDimension = 65536;
// A vector's engine key is collection '\0' key, within kMaxUserKeyBytes.
inline constexpr size_t kMaxVectorKeyBytes = kMaxUserKeyBytes - kMaxNameBytes - 1;

struct CollectionInfo {
  std::string name;
  uint32_t dimension = 0;
  VectorMetric metric = VectorMetric::kCosine;
  Version version = 0;  // of the config; 0 for this transaction's own uncommitted write
};

struct VectorEntry {
  std::string key;
  std::vector<float> values;
  boost::json::value metadata;  // null when none
  Version version = 0;
};

struct SearchHit {
  std::string key;
  double score = 0;
  boost::json::value metadata;  // null when none
};

namespace internal {
std::string VectorKey(std::string_view collection, std::string_view key);
std::string VectorPrefix(std::string_view collection);
Status CheckCollectionArgs(std::string_view name, uint32_t dimension);
Value EncodeCollection(uint32_t dimension, VectorMetric metric);
// Corruption when the stored value is not a collection config.
Status DecodeCollection(const Value& v, CollectionInfo* out);
// DimensionMismatch{expected, got}; InvalidArgument naming `field`[i] for NaN or infinity.
Status CheckVector(std::string_view field, std::span<const float> v, uint32_t dimension);
// Bytes: u32 dimension | dimension x f32 | u32 member count (0xffffffff: no metadata) |
// per top-level member: u32 name size, name, u32 value size, canonical JSON of the value.
// Integers little-endian. InvalidArgument naming `metadata` when it is not an object or null,
// or breaks the JSON limits.
Result<Value> EncodeVector(std::span<const float> v, const boost::json::value& metadata);

// A stored vector, decoded in place (no allocation).
struct VectorView {
  uint32_t dimension = 0;
  const char* floats = nullptr;  // dimension x f32, unaligned
  std::string_view metadata;     // the encoded member count and members
};
// Corruption unless `v` is an encoded vector of `dimension` components.
Status DecodeVector(const Value& v, uint32_t dimension, VectorView* out);
void CopyFloats(const VectorView& view, std::vector<float>* out);
Result<boost::json::value> DecodeMetadata(std::string_view encoded);

// Equality on top-level members, precomputed once per search.
class VectorFilter {
 public:
  explicit VectorFilter(const boost::json::object& filter);
  bool Matches(std::string_view encoded_metadata) const;

 private:
  std::vector<std::pair<std::string, std::string>> members_;  // name, canonical JSON
};

class VectorScorer {
 public:
  VectorScorer(VectorMetric metric, std::span<const float> query);
  double Score(const char* floats) const;

 private:
  VectorMetric metric_;
  std::span<const float> query_;
  double query_norm_ = 0;
};

// The best k candidates seen: a bounded heap whose slots are reused, so a candidate that does
// not enter it costs no allocation.
class TopK {
 public:
  explicit TopK(size_t k) : k_(k) {}
  void Offer(double score, std::string_view key, std::string_view encoded_metadata);
  // Best first.
  Status Finish(std::vector<SearchHit>* out);

 private:
  struct Candidate {
    double score;
    std::string key;
    std::string metadata;
  };
  static bool Better(const Candidate& a, const Candidate& b) {
    return a.score > b.score || (a.score == b.score && a.key < b.key);
  }
  size_t k_;
  std::vector<Candidate> heap_;  // the worst on top
};

// A collection's vectors as one contiguous row-major float matrix, rows in key order, with each
// row's key, version, encoded metadata and norm: exactly the rows one snapshot scan returned.
// Immutable once built (shared between searches).
struct VectorMatrix {
  uint32_t dimension = 0;
  std::vector<std::string> keys;
  std::vector<Version> versions;  // 0: an uncommitted own write (the matrix is then not cached)
  std::vector<std::string> metadata;
  std::vector<float> values;  // rows x dimension
  std::vector<double> norms;  // L2 norm of each row, computed in double
  size_t rows() const noexcept { return keys.size(); }
  const float* row(size_t i) const noexcept { return values.data() + i * dimension; }
};

// The newest matrix built per (run, collection) and the snapshot it was last checked at, so a
// search whose snapshot sees the same rows (same keys at the same versions: a committed version
// of a key never changes) decodes nothing, and a read-only search at that very snapshot (the
// same commits, so the same rows) does not even scan. Thread-safe.
class VectorCache {
 public:
  struct Entry {
    std::shared_ptr<const VectorMatrix> matrix;  // null when none
    Version snapshot = 0;
  };
  Entry Find(const RunId& run, std::string_view collection) const;
  void Store(const RunId& run, std::string_view collection, Entry e);
  void Erase(const RunId& run, std::string_view collection);

 private:
  static std::string CacheKey(const RunId& run, std::string_view collection);
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, Entry> map_;
};

// Builds the matrix of one snapshot scan (rows added in key order), reusing the rows of a cached
// matrix whose key and version match, and the cached matrix itself when every row matches.
class MatrixBuilder {
 public:
  MatrixBuilder(std::shared_ptr<const VectorMatrix> cached, uint32_t dimension)
      : cached_(std::move(cached)), dimension_(dimension) {}
  // Corruption when `v` is not a vector of the collection's dimension.
  Status Add(std::string_view key, const Value& v, Version version);
  // The matrix of the rows added: the cached one when they are all its rows.
  std::shared_ptr<const VectorMatrix> Finish();

 private:
  bool Matches(size_t i, std::string_view key, Version version) const {
    return version != 0 && cached_->versions[i] == version && cached_->keys[i] == key;
  }
  void CopyRow(size_t i);  // cached row i -> fresh_

  std::shared_ptr<const VectorMatrix> cached_;
  uint32_t dimension_;
  size_t matched_ = 0;  // rows added so far, all equal to the cached ones (no fresh_ yet)
  size_t cursor_ = 0;   // once fresh_: the first cached row not behind the last key added
  std::shared_ptr<VectorMatrix> fresh_;
};

// The k best rows of `m` (see the header comment), filtered first when `filter` is non-empty.
Status SearchMatrix(const VectorMatrix& m, VectorMetric metric, std::span<const float> query,
                    size_t k, const boost::json::object& filter, std::vector<SearchHit>* out);
}  // namespace internal

template <Partition P>
class VectorOps {
 public:
  // cache: where searches keep their matrices (Database owns one); null builds one per search.
  explicit VectorOps(Txn<P>& t, internal::VectorCache* cache = nullptr) noexcept
      : t_(t), cache_(cache) {}

  // name: 1..256 of [A-Za-z0-9_.-]; dimension 1..65536. AlreadyExists when it exists.
  Status CreateCollection(std::string_view name, uint32_t dimension, VectorMetric metric) {
    STATELAB_RETURN_IF_ERROR(internal::CheckCollectionArgs(name, dimension));
    Status s = t_.Get(Tag::kVectorConfig, name, nullptr);
    if (s.ok()) return Status::AlreadyExists("collection: '" + std::string(name) + "' exists");
    if (!s.IsNotFound()) return s;
    t_.Put(Tag::kVectorConfig, name, internal::EncodeCollection(dimension, metric));
    return Status::OK();
  }
  // Removes the collection and all its vectors. NotFound when absent.
  Status DeleteCollection(std::string_view name) {
    std::vector<std::string> keys;
    STATELAB_RETURN_IF_ERROR(ListKeys(name, &keys));
    for (const std::string& k : keys) t_.Delete(Tag::kVector, internal::VectorKey(name, k));
    t_.Delete(Tag::kVectorConfig, name);
    if (cache_ != nullptr) cache_->Erase(t_.run(), name);  // frees memory; rows are validated
    return Status::OK();
  }
  Status GetCollection(std::string_view name, CollectionInfo* out) {
    STATELAB_RETURN_IF_ERROR(CheckName("collection", name));
    Value v;
    STATELAB_RETURN_IF_ERROR(t_.Get(Tag::kVectorConfig, name, &v, &out->version));
    out->name = name;
    return internal::DecodeCollection(v, out);
  }
  // By name.
  Status ListCollections(std::vector<CollectionInfo>* out) {
    out->clear();
    Status bad;
    STATELAB_RETURN_IF_ERROR(
        t_.Scan(Tag::kVectorConfig, "", [&](std::string_view k, const Value& v, Version ver) {
          CollectionInfo& info = out->emplace_back();
          info.name = k;
          info.version = ver;
          bad = internal::DecodeCollection(v, &info);
          return bad.ok();
        }));
    return bad;
  }

  // metadata: a JSON object, or null for none.
  Status Upsert(std::string_view collection, std::string_view key, std::span<const float> values,
                const boost::json::value& metadata = nullptr) {
    CollectionInfo info;
    STATELAB_RETURN_IF_ERROR(CheckId("key", key, kMaxVectorKeyBytes));
    STATELAB_RETURN_IF_ERROR(GetCollection(collection, &info));
    STATELAB_RETURN_IF_ERROR(internal::CheckVector("vector", values, info.dimension));
    STATELAB_ASSIGN_OR_RETURN(Value v, internal::EncodeVector(values, metadata));
    STATELAB_RETURN_IF_ERROR(CheckValue("vector", v));
    t_.Put(Tag::kVector, internal::VectorKey(collection, key), std::move(v));
    return Status::OK();
  }
  // NotFound when the collection or the key is absent.
  Status Get(std::string_view collection, std::string_view key, VectorEntry* out) {
    CollectionInfo info;
    STATELAB_RETURN_IF_ERROR(CheckId("key", key, kMaxVectorKeyBytes));
    STATELAB_RETURN_IF_ERROR(GetCollection(collection, &info));
    Value v;
    STATELAB_RETURN_IF_ERROR(
        t_.Get(Tag::kVector, internal::VectorKey(collection, key), &v, &out->version));
    internal::VectorView view;
    STATELAB_RETURN_IF_ERROR(internal::DecodeVector(v, info.dimension, &view));
    out->key = key;
    internal::CopyFloats(view, &out->values);
    STATELAB_ASSIGN_OR_RETURN(out->metadata, internal::DecodeMetadata(view.metadata));
    return Status::OK();
  }
  // Returns whether the vector existed. NotFound when the collection is absent.
  Result<bool> Delete(std::string_view collection, std::string_view key) {
    CollectionInfo info;
    STATELAB_RETURN_IF_ERROR(CheckId("key", key, kMaxVectorKeyBytes));
    STATELAB_RETURN_IF_ERROR(GetCollection(collection, &info));
    const std::string k = internal::VectorKey(collection, key);
    Status s = t_.Get(Tag::kVector, k, nullptr);
    if (s.IsNotFound()) return false;
    STATELAB_RETURN_IF_ERROR(s);
    t_.Delete(Tag::kVector, k);
    return true;
  }
  Result<uint64_t> Count(std::string_view collection) {
    CollectionInfo info;
    STATELAB_RETURN_IF_ERROR(GetCollection(collection, &info));
    uint64_t n = 0;
    STATELAB_RETURN_IF_ERROR(ScanCollection(collection, [&](std::string_view, const Value&) {
      ++n;
      return Status::OK();
    }));
    return n;
  }
  // In key order.
  Status ListKeys(std::string_view collection, std::vector<std::string>* keys) {
    keys->clear();
    CollectionInfo info;
    STATELAB_RETURN_IF_ERROR(GetCollection(collection, &info));
    return ScanCollection(collection, [&](std::string_view k, const Value&) {
      keys->emplace_back(k);
      return Status::OK();
    });
  }

  // The k best vectors (exact scan), best first; see the header comment for scores and filter.
  Status Search(std::string_view collection, std::span<const float> query, size_t k,
                const boost::json::object& filter, std::vector<SearchHit>* out) {
    out->clear();
    CollectionInfo info;
    STATELAB_RETURN_IF_ERROR(GetCollection(collection, &info));
    STATELAB_RETURN_IF_ERROR(internal::CheckVector("query", query, info.dimension));
    if (k == 0) return Status::InvalidArgument("k: must be at least 1, got 0");
    internal::VectorCache::Entry cached;
    if (cache_ != nullptr) cached = cache_->Find(t_.run(), collection);
    // A read-only transaction at the snapshot the cached matrix was checked at sees its rows (a
    // transaction that records reads scans, so its read set stays what it was).
    const TxnState& st = t_.state();
    if (cached.matrix && cached.snapshot == st.snapshot && !st.record_reads && st.writes.empty() &&
        cached.matrix->dimension == info.dimension) {
      return internal::SearchMatrix(*cached.matrix, info.metric, query, k, filter, out);
    }
    // Otherwise the scan checks the cached matrix row by row against this snapshot, so the search
    // sees exactly the vectors the snapshot sees (and this transaction's own writes).
    internal::MatrixBuilder builder(std::move(cached.matrix), info.dimension);
    STATELAB_RETURN_IF_ERROR(ScanCollectionVersions(
        collection, [&](std::string_view key, const Value& v, Version ver) -> Status {
          return builder.Add(key, v, ver);
        }));
    std::shared_ptr<const internal::VectorMatrix> m = builder.Finish();
    // Only the committed state of a snapshot is cached: own writes (an upsert, and a delete that
    // hides a committed row) are this transaction's alone.
    if (cache_ != nullptr && st.writes.empty()) {
      cache_->Store(t_.run(), collection, {m, st.snapshot});
    }
    return internal::SearchMatrix(*m, info.metric, query, k, filter, out);
  }

 private:
  // fn(key, value) -> Status for each vector of an existing collection, in key order.
  template <class F>
  Status ScanCollection(std::string_view collection, F&& fn) {
    return ScanCollectionVersions(
        collection, [&](std::string_view k, const Value& v, Version) { return fn(k, v); });
  }
  // The same with fn(key, value, version); version 0 marks an own uncommitted write.
  template <class F>
  Status ScanCollectionVersions(std::string_view collection, F&& fn) {
    const std::string prefix = internal::VectorPrefix(collection);
    Status failed;
    STATELAB_RETURN_IF_ERROR(
        t_.Scan(Tag::kVector, prefix, [&](std::string_view k, const Value& v, Version ver) {
          failed = fn(k.substr(prefix.size()), v, ver);
          return failed.ok();
        }));
    return failed;
  }

  Txn<P>& t_;
  internal::VectorCache* cache_;
};

template <Engine E>
class VectorStore {
 public:
  using P = typename E::Partition;
  explicit VectorStore(E& e, internal::VectorCache* cache = nullptr) noexcept
      : e_(e), cache_(cache) {}

  Result<Version> CreateCollection(const RunId& run, std::string_view name, uint32_t dimension,
                                   VectorMetric metric, const TxnOptions& o = {}) {
    return Write(run, o,
                 [&](VectorOps<P>& v) { return v.CreateCollection(name, dimension, metric); });
  }
  Result<Version> DeleteCollection(const RunId& run, std::string_view name,
                                   const TxnOptions& o = {}) {
    return Write(run, o, [&](VectorOps<P>& v) { return v.DeleteCollection(name); });
  }
  Result<CollectionInfo> GetCollection(const RunId& run, std::string_view name) {
    CollectionInfo info;
    STATELAB_RETURN_IF_ERROR(
        Read(run, [&](VectorOps<P>& v) { return v.GetCollection(name, &info); }));
    return info;
  }
  Status ListCollections(const RunId& run, std::vector<CollectionInfo>* out) {
    return Read(run, [&](VectorOps<P>& v) { return v.ListCollections(out); });
  }
  // `values` is copied into the transaction; it must stay valid during the call only.
  Result<Version> Upsert(const RunId& run, std::string_view collection, std::string_view key,
                         std::span<const float> values,
                         const boost::json::value& metadata = nullptr, const TxnOptions& o = {}) {
    return Write(run, o,
                 [&](VectorOps<P>& v) { return v.Upsert(collection, key, values, metadata); });
  }
  // Fast path: one snapshot.
  Result<VectorEntry> Get(const RunId& run, std::string_view collection, std::string_view key) {
    VectorEntry e;
    STATELAB_RETURN_IF_ERROR(
        Read(run, [&](VectorOps<P>& v) { return v.Get(collection, key, &e); }));
    return e;
  }
  // Returns whether the vector existed.
  Result<bool> Delete(const RunId& run, std::string_view collection, std::string_view key,
                      const TxnOptions& o = {}) {
    bool existed = false;
    STATELAB_RETURN_IF_ERROR(Write(run, o, [&](VectorOps<P>& v) -> Status {
                               STATELAB_ASSIGN_OR_RETURN(existed, v.Delete(collection, key));
                               return Status::OK();
                             }).status());
    return existed;
  }
  Result<uint64_t> Count(const RunId& run, std::string_view collection) {
    return ReadOp(e_, run, [&](Txn<P>& t) { return VectorOps<P>(t, cache_).Count(collection); });
  }
  Status ListKeys(const RunId& run, std::string_view collection, std::vector<std::string>* keys) {
    return Read(run, [&](VectorOps<P>& v) { return v.ListKeys(collection, keys); });
  }
  // One snapshot; an empty filter matches everything.
  Status Search(const RunId& run, std::string_view collection, std::span<const float> query,
                size_t k, const boost::json::object& filter, std::vector<SearchHit>* out) {
    return Read(run, [&](VectorOps<P>& v) { return v.Search(collection, query, k, filter, out); });
  }

 private:
  template <class F>
  Status Read(const RunId& run, F&& f) {
    return RunRead(e_, run, [&](Txn<P>& t) {
      VectorOps<P> v(t, cache_);
      return f(v);
    });
  }
  // f may run several times (conflict retries): it copies its inputs, never moves them.
  template <class F>
  Result<Version> Write(const RunId& run, const TxnOptions& o, F&& f) {
    return RunTransaction(
        e_, run,
        [&](Txn<P>& t) {
          VectorOps<P> v(t, cache_);
          return f(v);
        },
        o);
  }

  E& e_;
  internal::VectorCache* cache_;
};

}  // namespace statelab
