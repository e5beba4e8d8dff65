#pragma once
// FAISS IndexFlatIP over unit-length rows: exact cosine search, the same metric and the same
// result as our VectorStore's exact scan (docs/peers.md). FAISS runs with one OpenMP thread, as
// our search runs on the caller's thread. The library's headers stay in the .cc, compiled only
// when libfaiss was found.
// Thread-safety: build on one thread; Search from one thread at a time.

#include <memory>
#include <string>
#include <vector>

#include "engines/peers/peer_config.h"
#include "engines/peers/vector_peer.h"

namespace statelab::peers {

class FaissFlatPeer {
 public:
  static constexpr std::string_view kName = "faiss_flat";
  static constexpr bool kAvailable = config::kFaiss;
  static constexpr std::string_view kWhyNotAvailable = config::kFaissWhyNot;
  static constexpr bool kExact = true;

  static Result<std::unique_ptr<FaissFlatPeer>> Build(uint32_t dim, std::span<const float> rows);
  ~FaissFlatPeer();
  FaissFlatPeer(const FaissFlatPeer&) = delete;
  FaissFlatPeer& operator=(const FaissFlatPeer&) = delete;

  std::string Settings() const;
  Status Search(std::span<const float> query, size_t k, std::vector<int64_t>* ids);

 private:
  struct Impl;
  explicit FaissFlatPeer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

static_assert(PeerVectorIndex<FaissFlatPeer>);

}  // namespace statelab::peers
