#include "engines/peers/faiss_flat_peer.h"

#include <faiss/IndexFlat.h>
#include <omp.h>

#include <exception>

namespace statelab::peers {

struct FaissFlatPeer::Impl {
  explicit Impl(uint32_t dim) : index(static_cast<faiss::Index::idx_t>(dim)), query(dim) {}
  faiss::IndexFlatIP index;
  std::vector<float> query;  // the normalized query
  std::vector<float> distances;
  std::vector<faiss::Index::idx_t> labels;
};

FaissFlatPeer::FaissFlatPeer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FaissFlatPeer::~FaissFlatPeer() = default;

Result<std::unique_ptr<FaissFlatPeer>> FaissFlatPeer::Build(uint32_t dim,
                                                            std::span<const float> rows) {
  if (dim == 0 || rows.size() % dim != 0) {
    return Status::InvalidArgument("rows: not a whole number of " + std::to_string(dim) +
                                   "-d rows");
  }
  // One thread: a single query must not fan out over an OpenMP team (our search does not).
  omp_set_num_threads(1);
  auto impl = std::make_unique<Impl>(dim);
  std::vector<float> unit(rows.size());
  for (size_t r = 0; r < rows.size() / dim; ++r) {
    Normalize(rows.subspan(r * dim, dim), std::span<float>(unit).subspan(r * dim, dim));
  }
  try {  // FAISS reports errors by exception: caught here, at the edge
    impl->index.add(static_cast<faiss::Index::idx_t>(rows.size() / dim), unit.data());
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("faiss add: ") + e.what());
  }
  return std::unique_ptr<FaissFlatPeer>(new FaissFlatPeer(std::move(impl)));
}

std::string FaissFlatPeer::Settings() const {
  return "IndexFlatIP over unit vectors (exact cosine), 1 OpenMP thread";
}

Status FaissFlatPeer::Search(std::span<const float> query, size_t k, std::vector<int64_t>* ids) {
  if (query.size() != impl_->query.size()) {
    return Status::DimensionMismatch(impl_->query.size(), query.size());
  }
  Normalize(query, impl_->query);
  impl_->distances.resize(k);
  impl_->labels.resize(k);
  impl_->index.search(1, impl_->query.data(), static_cast<faiss::Index::idx_t>(k),
                      impl_->distances.data(), impl_->labels.data());
  ids->clear();
  for (faiss::Index::idx_t l : impl_->labels) {
    if (l >= 0) ids->push_back(l);  // -1: fewer than k rows
  }
  return Status::OK();
}

}  // namespace statelab::peers
