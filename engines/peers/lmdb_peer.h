#pragma once
// LMDB as a KV peer (docs/peers.md). Two settings: buffered = MDB_NOSYNC (a commit updates the
// memory-mapped file, the OS writes it back later), strict = LMDB's default synchronous commit
// (fdatasync before mdb_txn_commit returns). LMDB has no setting without its file, so inmemory
// does not open (its cells are skipped with that reason). One unnamed database; a 4 GiB map.
// The library's header stays in the .cc, compiled only when liblmdb was found.
// Thread-safety: every method from any thread. Writes (Put, PutBatch, Delete, ReadModifyWrite)
// are serialized by LMDB's writer lock; reads (Get, List, Scan) run concurrently, each on a read
// transaction taken from a pool and reset after the call (LMDB's fast path for repeated reads).

#include <memory>
#include <string>
#include <vector>

#include "engines/peers/peer_config.h"
#include "engines/peers/peer_kv.h"

namespace statelab::peers {

class LmdbPeer {
 public:
  static constexpr std::string_view kName = "lmdb";
  static constexpr bool kAvailable = config::kLmdb;
  static constexpr std::string_view kWhyNotAvailable = config::kLmdbWhyNot;

  static Result<std::unique_ptr<LmdbPeer>> Open(const PeerKvOptions& o);
  ~LmdbPeer();
  LmdbPeer(const LmdbPeer&) = delete;
  LmdbPeer& operator=(const LmdbPeer&) = delete;

  std::string Settings() const;
  DurabilityMode mode() const noexcept { return mode_; }
  Status Put(std::string_view key, const Value& v);
  Status Get(std::string_view key, Value* out);
  Result<bool> Delete(std::string_view key);
  Status List(std::string_view prefix, std::vector<std::string>* keys);
  Status Scan(std::string_view start, uint64_t count, std::vector<std::string>* keys);
  Status PutBatch(std::span<const KvWrite> batch);
  Status ReadModifyWrite(std::string_view key, const Value& v, Value* out);

 private:
  struct Impl;
  LmdbPeer(std::unique_ptr<Impl> impl, DurabilityMode mode);
  std::unique_ptr<Impl> impl_;
  DurabilityMode mode_;
};

static_assert(PeerKv<LmdbPeer>);

}  // namespace statelab::peers
