#pragma once
// hnswlib's HNSW graph over unit-length rows with the inner-product space: approximate cosine
// search (docs/peers.md). M = 16, ef_construction = 200, ef (search) = 64, build seed 100
// (hnswlib's defaults, except ef, whose default of 10 is too low for k = 10). Its cells report
// recall@10 against the exact ranking. The library is header-only; the adapter's .cc is compiled
// only when its headers were found.
// Thread-safety: build on one thread; Search from one thread at a time.

#include <memory>
#include <string>
#include <vector>

#include "engines/peers/peer_config.h"
#include "engines/peers/vector_peer.h"

namespace statelab::peers {

class HnswlibPeer {
 public:
  static constexpr std::string_view kName = "hnswlib";
  static constexpr bool kAvailable = config::kHnswlib;
  static constexpr std::string_view kWhyNotAvailable = config::kHnswlibWhyNot;
  static constexpr bool kExact = false;
  static constexpr size_t kM = 16;
  static constexpr size_t kEfConstruction = 200;
  static constexpr size_t kEfSearch = 64;

  static Result<std::unique_ptr<HnswlibPeer>> Build(uint32_t dim, std::span<const float> rows);
  ~HnswlibPeer();
  HnswlibPeer(const HnswlibPeer&) = delete;
  HnswlibPeer& operator=(const HnswlibPeer&) = delete;

  std::string Settings() const;
  Status Search(std::span<const float> query, size_t k, std::vector<int64_t>* ids);

 private:
  struct Impl;
  explicit HnswlibPeer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

static_assert(PeerVectorIndex<HnswlibPeer>);

}  // namespace statelab::peers
