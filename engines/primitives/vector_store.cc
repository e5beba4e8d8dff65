#include "engines/primitives/vector_store.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

#include "engines/core/json_doc.h"

namespace statelab {

// The record format is little-endian; a big-endian port adds byte swaps in Put32/Reader/LoadF32.
static_assert(std::endian::native == std::endian::little);

std::string_view MetricName(VectorMetric m) noexcept {
  switch (m) {
    case VectorMetric::kCosine:
      return "cosine";
    case VectorMetric::kEuclidean:
      return "euclidean";
    case VectorMetric::kDot:
      return "dot";
  }
  return "unknown";
}

Result<VectorMetric> ParseMetric(std::string_view name) {
  for (VectorMetric m : {VectorMetric::kCosine, VectorMetric::kEuclidean, VectorMetric::kDot}) {
    if (MetricName(m) == name) return m;
  }
  return Status::InvalidArgument("metric: must be one of cosine, euclidean, dot; got '" +
                                 std::string(name) + "'");
}

namespace internal {

namespace {
constexpr uint32_t kNoMetadata = 0xffffffffu;

void Put32(std::string& out, uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); }

// Bounds-checked reads over an encoded record.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool U32(uint32_t* v) {
    if (in_.size() < 4) return false;
    std::memcpy(v, in_.data(), 4);
    in_.remove_prefix(4);
    return true;
  }
  bool Take(size_t n, std::string_view* out) {
    if (in_.size() < n) return false;
    *out = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  std::string_view rest() const { return in_; }

 private:
  std::string_view in_;
};

// Calls f(name, canonical value) -> keep going for each member. False when malformed; *present
// says whether there is metadata at all.
template <class F>
bool ForEachMember(std::string_view encoded, bool* present, F&& f) {
  Reader r(encoded);
  uint32_t count = 0;
  if (!r.U32(&count)) return false;
  *present = count != kNoMetadata;
  if (!*present) return r.rest().empty();
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t name_size = 0, value_size = 0;
    std::string_view name, value;
    if (!r.U32(&name_size) || !r.Take(name_size, &name) || !r.U32(&value_size) ||
        !r.Take(value_size, &value)) {
      return false;
    }
    if (!f(name, value)) return true;
  }
  return r.rest().empty();
}

float LoadF32(const char* floats, size_t i) {
  float x;
  std::memcpy(&x, floats + 4 * i, 4);
  return x;
}

Status BadVector() { return Status::Corruption("vector record", 0); }
}  // namespace

std::string VectorPrefix(std::string_view collection) {
  std::string out;
  out.reserve(collection.size() + 1);
  out.append(collection).push_back('\0');
  return out;
}

std::string VectorKey(std::string_view collection, std::string_view key) {
  return VectorPrefix(collection).append(key);
}

Status CheckCollectionArgs(std::string_view name, uint32_t dimension) {
  STATELAB_RETURN_IF_ERROR(CheckName("collection", name));
  if (dimension == 0 || dimension > kMaxVectorDimension) {
    return Status::InvalidArgument("dimension: must be 1.." + std::to_string(kMaxVectorDimension) +
                                   ", got " + std::to_string(dimension));
  }
  return Status::OK();
}

Value EncodeCollection(uint32_t dimension, VectorMetric metric) {
  return Value(boost::json::value{{"dimension", dimension}, {"metric", MetricName(metric)}});
}

Status DecodeCollection(const Value& v, CollectionInfo* out) {
  const auto* doc = std::get_if<boost::json::value>(&v);
  const boost::json::object* o = doc ? doc->if_object() : nullptr;
  const boost::json::value* dim = o ? o->if_contains("dimension") : nullptr;
  const boost::json::value* metric = o ? o->if_contains("metric") : nullptr;
  if (!dim || !metric || !metric->is_string()) return Status::Corruption("vector collection", 0);
  Result<VectorMetric> m = ParseMetric(metric->get_string());
  boost::system::error_code ec;
  const auto d = dim->to_number<uint32_t>(ec);
  if (!m.ok() || ec || d == 0 || d > kMaxVectorDimension) {
    return Status::Corruption("vector collection", 0);
  }
  out->dimension = d;
  out->metric = *m;
  return Status::OK();
}

Status CheckVector(std::string_view field, std::span<const float> v, uint32_t dimension) {
  if (v.size() != dimension) return Status::DimensionMismatch(dimension, v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i])) {
      return Status::InvalidArgument(std::string(field) + "[" + std::to_string(i) +
                                     "]: must be finite, got " + std::to_string(v[i]));
    }
  }
  return Status::OK();
}

Result<Value> EncodeVector(std::span<const float> v, const boost::json::value& metadata) {
  const boost::json::object* members = metadata.if_object();
  if (members == nullptr && !metadata.is_null()) {
    return Status::InvalidArgument("metadata: must be a JSON object or null");
  }
  if (members != nullptr) {
    if (Status s = json_doc::CheckLimits(metadata); !s.ok()) {
      return Status::InvalidArgument("metadata: " + std::string(s.message()));
    }
  }
  Bytes out;
  std::string& b = out.data;
  b.reserve(8 + 4 * v.size());
  Put32(b, static_cast<uint32_t>(v.size()));
  b.append(reinterpret_cast<const char*>(v.data()), 4 * v.size());
  if (members == nullptr) {
    Put32(b, kNoMetadata);
    return Value(std::move(out));
  }
  Put32(b, static_cast<uint32_t>(members->size()));
  for (const boost::json::key_value_pair& m : *members) {
    const std::string canonical = json_doc::CanonicalJson(m.value());
    Put32(b, static_cast<uint32_t>(m.key().size()));
    b.append(m.key());
    Put32(b, static_cast<uint32_t>(canonical.size()));
    b.append(canonical);
  }
  return Value(std::move(out));
}

Status DecodeVector(const Value& v, uint32_t dimension, VectorView* out) {
  const auto* bytes = std::get_if<Bytes>(&v);
  if (bytes == nullptr) return BadVector();
  Reader r(bytes->data);
  std::string_view floats;
  if (!r.U32(&out->dimension) || out->dimension != dimension ||
      !r.Take(4 * size_t{dimension}, &floats) || r.rest().size() < 4) {
    return BadVector();
  }
  out->floats = floats.data();
  out->metadata = r.rest();
  return Status::OK();
}

void CopyFloats(const VectorView& view, std::vector<float>* out) {
  out->resize(view.dimension);
  std::memcpy(out->data(), view.floats, 4 * size_t{view.dimension});
}

Result<boost::json::value> DecodeMetadata(std::string_view encoded) {
  boost::json::object o;
  Status bad;
  bool present = false;
  const bool ok = ForEachMember(encoded, &present, [&](std::string_view name, std::string_view v) {
    Result<boost::json::value> parsed = json_doc::ParseJson(v);
    if (!parsed.ok()) {
      bad = BadVector();
      return false;
    }
    o.emplace(name, std::move(*parsed));
    return true;
  });
  if (!ok) return BadVector();
  STATELAB_RETURN_IF_ERROR(bad);
  if (!present) return boost::json::value();
  return boost::json::value(std::move(o));
}

VectorFilter::VectorFilter(const boost::json::object& filter) {
  members_.reserve(filter.size());
  for (const boost::json::key_value_pair& m : filter) {
    members_.emplace_back(std::string(m.key()), json_doc::CanonicalJson(m.value()));
  }
}

bool VectorFilter::Matches(std::string_view encoded_metadata) const {
  for (const auto& member : members_) {
    const std::string_view name = member.first, value = member.second;
    bool found = false, present = false;
    ForEachMember(encoded_metadata, &present, [&](std::string_view n, std::string_view v) {
      found = n == name && v == value;
      return !found;
    });
    if (!found) return false;
  }
  return true;
}

VectorScorer::VectorScorer(VectorMetric metric, std::span<const float> query)
    : metric_(metric), query_(query) {
  double nn = 0;
  for (float q : query_) nn += double{q} * q;
  query_norm_ = std::sqrt(nn);
}

double VectorScorer::Score(const char* floats) const {
  const size_t n = query_.size();
  double acc = 0;
  switch (metric_) {
    case VectorMetric::kDot:
      for (size_t i = 0; i < n; ++i) acc += double{query_[i]} * LoadF32(floats, i);
      return acc;
    case VectorMetric::kCosine: {
      double nn = 0;
      for (size_t i = 0; i < n; ++i) {
        const double x = LoadF32(floats, i);
        acc += query_[i] * x;
        nn += x * x;
      }
      if (query_norm_ == 0 || nn == 0) return 0;  // a zero vector has no direction
      return acc / (query_norm_ * std::sqrt(nn));
    }
    case VectorMetric::kEuclidean:
      for (size_t i = 0; i < n; ++i) {
        const double d = double{query_[i]} - LoadF32(floats, i);
        acc += d * d;
      }
      return 1.0 / (1.0 + std::sqrt(acc));
  }
  return 0;
}

void TopK::Offer(double score, std::string_view key, std::string_view encoded_metadata) {
  auto worse_on_top = [](const Candidate& a, const Candidate& b) { return Better(a, b); };
  if (heap_.size() < k_) {
    heap_.push_back(Candidate{score, std::string(key), std::string(encoded_metadata)});
    std::push_heap(heap_.begin(), heap_.end(), worse_on_top);
    return;
  }
  const Candidate& worst = heap_.front();
  if (score < worst.score || (score == worst.score && key >= worst.key)) return;
  std::pop_heap(heap_.begin(), heap_.end(), worse_on_top);
  Candidate& slot = heap_.back();  // reuses the strings' capacity
  slot.score = score;
  slot.key.assign(key);
  slot.metadata.assign(encoded_metadata);
  std::push_heap(heap_.begin(), heap_.end(), worse_on_top);
}

Status TopK::Finish(std::vector<SearchHit>* out) {
  std::sort_heap(heap_.begin(), heap_.end(),
                 [](const Candidate& a, const Candidate& b) { return Better(a, b); });
  out->clear();
  out->reserve(heap_.size());
  for (Candidate& c : heap_) {
    STATELAB_ASSIGN_OR_RETURN(boost::json::value metadata, DecodeMetadata(c.metadata));
    out->push_back(SearchHit{std::move(c.key), c.score, std::move(metadata)});
  }
  heap_.clear();
  return Status::OK();
}

std::string VectorCache::CacheKey(const RunId& run, std::string_view collection) {
  std::string k(reinterpret_cast<const char*>(run.bytes.data()), run.bytes.size());
  k.append(collection);
  return k;
}

VectorCache::Entry VectorCache::Find(const RunId& run, std::string_view collection) const {
  const std::string k = CacheKey(run, collection);
  std::lock_guard lk(mu_);
  auto it = map_.find(k);
  return it == map_.end() ? Entry{} : it->second;
}

void VectorCache::Store(const RunId& run, std::string_view collection, Entry e) {
  std::string k = CacheKey(run, collection);
  std::lock_guard lk(mu_);
  map_.insert_or_assign(std::move(k), std::move(e));
}

void VectorCache::Erase(const RunId& run, std::string_view collection) {
  const std::string k = CacheKey(run, collection);
  std::lock_guard lk(mu_);
  map_.erase(k);
}

void MatrixBuilder::CopyRow(size_t i) {
  const VectorMatrix& c = *cached_;
  fresh_->keys.push_back(c.keys[i]);
  fresh_->versions.push_back(c.versions[i]);
  fresh_->metadata.push_back(c.metadata[i]);
  fresh_->values.insert(fresh_->values.end(), c.row(i), c.row(i) + dimension_);
  fresh_->norms.push_back(c.norms[i]);
}

Status MatrixBuilder::Add(std::string_view key, const Value& v, Version version) {
  if (!fresh_) {
    if (cached_ && cached_->dimension == dimension_ && matched_ < cached_->rows() &&
        Matches(matched_, key, version)) {
      ++matched_;
      return Status::OK();
    }
    // The first difference: the rows so far are the cached ones.
    fresh_ = std::make_shared<VectorMatrix>();
    fresh_->dimension = dimension_;
    for (size_t i = 0; i < matched_; ++i) CopyRow(i);
    cursor_ = matched_;
    if (cached_ && cached_->dimension != dimension_) cached_.reset();
  }
  if (cached_) {
    while (cursor_ < cached_->rows() && cached_->keys[cursor_] < key) ++cursor_;
    if (cursor_ < cached_->rows() && Matches(cursor_, key, version)) {
      CopyRow(cursor_++);
      return Status::OK();
    }
  }
  VectorView view;
  STATELAB_RETURN_IF_ERROR(DecodeVector(v, dimension_, &view));
  fresh_->keys.emplace_back(key);
  fresh_->versions.push_back(version);
  fresh_->metadata.emplace_back(view.metadata);
  const size_t at = fresh_->values.size();
  fresh_->values.resize(at + dimension_);
  std::memcpy(fresh_->values.data() + at, view.floats, 4 * size_t{dimension_});
  double nn = 0;
  for (size_t i = 0; i < dimension_; ++i)
    nn += double{fresh_->values[at + i]} * fresh_->values[at + i];
  fresh_->norms.push_back(std::sqrt(nn));
  return Status::OK();
}

std::shared_ptr<const VectorMatrix> MatrixBuilder::Finish() {
  if (!fresh_ && cached_ && cached_->dimension == dimension_ && matched_ == cached_->rows()) {
    return cached_;
  }
  if (!fresh_) {  // a prefix of the cached rows (or none)
    fresh_ = std::make_shared<VectorMatrix>();
    fresh_->dimension = dimension_;
    for (size_t i = 0; i < matched_; ++i) CopyRow(i);
  }
  return std::move(fresh_);
}

namespace {
// Float kernels over a row-major matrix, vectorized by the compiler: kLanes independent partial
// sums (a float sum is not reassociated without them), one clone per instruction set.
constexpr size_t kLanes = 16;

// target_clones makes an ifunc, whose resolver runs before ThreadSanitizer's runtime is set up
// and crashes the process at load: TSan builds get the default clone only.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__SANITIZE_THREAD__)
#define STATELAB_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define STATELAB_VECTOR_CLONES
#endif

// out[j] = q . row(rows[j]) (rows null: row j) for j < n.
STATELAB_VECTOR_CLONES void DotRows(const float* q, const float* m, size_t dim,
                                    const uint32_t* rows, size_t n, float* out) {
  for (size_t j = 0; j < n; ++j) {
    const float* x = m + (rows ? rows[j] : j) * dim;
    float acc[kLanes] = {};
    size_t i = 0;
    for (; i + kLanes <= dim; i += kLanes) {
      for (size_t l = 0; l < kLanes; ++l) acc[l] += q[i + l] * x[i + l];
    }
    float s = 0;
    for (; i < dim; ++i) s += q[i] * x[i];
    for (float a : acc) s += a;
    out[j] = s;
  }
}

// out[j] = |q - row(rows[j])|^2.
STATELAB_VECTOR_CLONES void L2SqrRows(const float* q, const float* m, size_t dim,
                                      const uint32_t* rows, size_t n, float* out) {
  for (size_t j = 0; j < n; ++j) {
    const float* x = m + (rows ? rows[j] : j) * dim;
    float acc[kLanes] = {};
    size_t i = 0;
    for (; i + kLanes <= dim; i += kLanes) {
      for (size_t l = 0; l < kLanes; ++l) {
        const float d = q[i + l] - x[i + l];
        acc[l] += d * d;
      }
    }
    float s = 0;
    for (; i < dim; ++i) s += (q[i] - x[i]) * (q[i] - x[i]);
    for (float a : acc) s += a;
    out[j] = s;
  }
}
}  // namespace

Status SearchMatrix(const VectorMatrix& m, VectorMetric metric, std::span<const float> query,
                    size_t k, const boost::json::object& filter, std::vector<SearchHit>* out) {
  // Rows that pass the filter (all when it is empty).
  thread_local std::vector<uint32_t> rows;
  thread_local std::vector<float> approx;
  thread_local std::vector<double> lo, hi, lows;
  rows.clear();
  const uint32_t* row_ids = nullptr;
  size_t n = m.rows();
  if (!filter.empty()) {
    const VectorFilter matches(filter);
    for (size_t i = 0; i < m.rows(); ++i) {
      if (matches.Matches(m.metadata[i])) rows.push_back(static_cast<uint32_t>(i));
    }
    row_ids = rows.data();
    n = rows.size();
  }
  auto row_of = [&](size_t j) -> size_t { return row_ids ? row_ids[j] : j; };
  approx.resize(n);
  if (metric == VectorMetric::kEuclidean) {
    L2SqrRows(query.data(), m.values.data(), m.dimension, row_ids, n, approx.data());
  } else {
    DotRows(query.data(), m.values.data(), m.dimension, row_ids, n, approx.data());
  }
  // Each float score brackets the exact one: a float sum of d products is within
  // (d + 1) * 2^-24 * sum |q_i x_i| <= that times |q| |x| (Cauchy-Schwarz) of it; the bound
  // doubles that, adds the double rescoring's own rounding and an underflow floor. Ranks:
  // dot and cosine by score, euclidean by -distance^2 (the score falls as distance grows).
  double qq = 0;
  for (float x : query) qq += double{x} * x;
  const double q_norm = std::sqrt(qq);
  const double rel = (double(m.dimension) + 4) * 0x1p-23 + 1e-12;
  const double floor = double(m.dimension) * std::numeric_limits<float>::min();
  lo.resize(n);
  hi.resize(n);
  for (size_t j = 0; j < n; ++j) {
    const size_t r = row_of(j);
    const double a = approx[j];
    double rank = 0, err = 0;
    switch (metric) {
      case VectorMetric::kDot:
        rank = a;
        err = rel * q_norm * m.norms[r] + floor;
        break;
      case VectorMetric::kCosine:
        if (q_norm == 0 || m.norms[r] == 0) break;  // exactly 0
        rank = a / (q_norm * m.norms[r]);
        err = rel + floor / (q_norm * m.norms[r]);
        break;
      case VectorMetric::kEuclidean:
        rank = -a;
        err = rel * a + floor;
        break;
    }
    if (!std::isfinite(rank) || !std::isfinite(err)) {  // float overflow: rescore it
      rank = 0;
      err = std::numeric_limits<double>::infinity();
    }
    lo[j] = rank - err;
    hi[j] = rank + err;
  }
  // Rows whose best case is below the k-th best worst case cannot be in the top k. The k best
  // lower bounds are kept in a min-heap: most rows cost one comparison.
  lows.clear();
  for (size_t j = 0; j < n; ++j) {
    if (lows.size() < k) {
      lows.push_back(lo[j]);
      std::push_heap(lows.begin(), lows.end(), std::greater<>());
    } else if (lo[j] > lows.front()) {
      std::pop_heap(lows.begin(), lows.end(), std::greater<>());
      lows.back() = lo[j];
      std::push_heap(lows.begin(), lows.end(), std::greater<>());
    }
  }
  const double threshold =
      lows.size() == k ? lows.front() : -std::numeric_limits<double>::infinity();
  const VectorScorer scorer(metric, query);
  TopK top(k);
  for (size_t j = 0; j < n; ++j) {
    if (hi[j] < threshold) continue;
    const size_t r = row_of(j);
    top.Offer(scorer.Score(reinterpret_cast<const char*>(m.row(r))), m.keys[r], m.metadata[r]);
  }
  return top.Finish(out);
}

}  // namespace internal
}  // namespace statelab
