#pragma once
// The explicit compile-time lists of peers, apart from AllEngines (peers offer the KV subset,
// vector search or keyword search only, not the Engine concept). Every peer's header compiles in every build;
// whether its library was found is P::kAvailable. The harness walks these lists once per run.
// Thread-safety: compile-time data and pure functions.

#include <array>
#include <string_view>

#include "engines/peers/faiss_flat_peer.h"
#include "engines/peers/fts5_peer.h"
#include "engines/peers/hnswlib_peer.h"
#include "engines/peers/lmdb_peer.h"
#include "engines/peers/rocksdb_peer.h"
#include "engines/registry/engine_list.h"

namespace statelab::peers {

using KvPeers = EngineList<RocksDbPeer, LmdbPeer>;
using VectorPeers = EngineList<FaissFlatPeer, HnswlibPeer>;
using SearchPeers = EngineList<Fts5Peer>;

// Every peer name: KV, vector, then keyword-search peers.
inline constexpr size_t kPeerCount = KvPeers::size + VectorPeers::size + SearchPeers::size;
inline constexpr std::array<std::string_view, kPeerCount> kPeerNames = [] {
  std::array<std::string_view, kPeerCount> out{};
  size_t i = 0;
  for (std::string_view n : KvPeers::names) out[i++] = n;
  for (std::string_view n : VectorPeers::names) out[i++] = n;
  for (std::string_view n : SearchPeers::names) out[i++] = n;
  return out;
}();

constexpr bool IsPeer(std::string_view name) noexcept {
  for (std::string_view n : kPeerNames) {
    if (n == name) return true;
  }
  return false;
}

}  // namespace statelab::peers
