#include "engines/primitives/vector_store.h"

#include <bit>
#include <cmath>
#include <cstring>

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

}  // namespace internal
}  // namespace statelab
