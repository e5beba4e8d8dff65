#include "engines/peers/hnswlib_peer.h"

#include <hnswlib/hnswlib.h>

#include <exception>

namespace statelab::peers {

struct HnswlibPeer::Impl {
  Impl(uint32_t dim, size_t n) : space(dim), index(&space, n, kM, kEfConstruction), query(dim) {}
  hnswlib::InnerProductSpace space;
  hnswlib::HierarchicalNSW<float> index;
  std::vector<float> query;  // the normalized query
};

HnswlibPeer::HnswlibPeer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HnswlibPeer::~HnswlibPeer() = default;

Result<std::unique_ptr<HnswlibPeer>> HnswlibPeer::Build(uint32_t dim,
                                                        std::span<const float> rows) {
  if (dim == 0 || rows.size() % dim != 0) {
    return Status::InvalidArgument("rows: not a whole number of " + std::to_string(dim) +
                                   "-d rows");
  }
  const size_t n = rows.size() / dim;
  std::vector<float> unit(dim);
  try {  // hnswlib reports errors by exception: caught here, at the edge
    auto impl = std::make_unique<Impl>(dim, n);
    for (size_t r = 0; r < n; ++r) {
      Normalize(rows.subspan(r * dim, dim), unit);
      impl->index.addPoint(unit.data(), r);
    }
    impl->index.setEf(kEfSearch);
    return std::unique_ptr<HnswlibPeer>(new HnswlibPeer(std::move(impl)));
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("hnswlib build: ") + e.what());
  }
}

std::string HnswlibPeer::Settings() const {
  return "HNSW, inner product over unit vectors, M=16, ef_construction=200, ef=64";
}

Status HnswlibPeer::Search(std::span<const float> query, size_t k, std::vector<int64_t>* ids) {
  if (query.size() != impl_->query.size()) {
    return Status::DimensionMismatch(impl_->query.size(), query.size());
  }
  Normalize(query, impl_->query);
  // searchKnn returns the worst first; it allocates its queue (hnswlib's API, paid by its users).
  auto best = impl_->index.searchKnn(impl_->query.data(), k);
  ids->resize(best.size());
  for (size_t i = best.size(); i-- > 0; best.pop()) ids->at(i) = static_cast<int64_t>(best.top().second);
  return Status::OK();
}

}  // namespace statelab::peers
